"""Small PNG previews of documents: an image thumbnail or the first page of a PDF.

Previews show personal data too, so they are stored encrypted in the vault like the documents.
"""

from __future__ import annotations

import io
from typing import IO

import pypdfium2 as pdfium
from PIL import Image

PREVIEW_SIZE = (480, 480)


def image_preview(image: Image.Image) -> bytes:
    thumb = image.copy()
    if thumb.mode not in {"RGB", "RGBA", "L", "LA"}:
        thumb = thumb.convert("RGBA")
    thumb.thumbnail(PREVIEW_SIZE)
    out = io.BytesIO()
    thumb.save(out, format="PNG")
    return out.getvalue()


def pdf_preview(data: bytes | IO[bytes]) -> bytes:
    """Render page 1 of a PDF so that its longer side is about 480 px (a page declared huge
    in either direction still gives a small bitmap)."""
    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[0]
        longest = max(page.get_width(), page.get_height(), 1)
        bitmap = page.render(scale=min(2.0, PREVIEW_SIZE[0] / longest))
        image = bitmap.to_pil()
        return image_preview(image)
    finally:
        pdf.close()
