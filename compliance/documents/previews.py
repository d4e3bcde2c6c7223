"""Small PNG previews of documents: an image thumbnail or the first page of a PDF.

Previews show personal data too, so they are stored encrypted in the vault like the documents.
"""

from __future__ import annotations

import io

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


def pdf_preview(data: bytes) -> bytes:
    """Render page 1 of a PDF at a width of about 480 px."""
    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[0]
        width = page.get_width() or 1
        bitmap = page.render(scale=min(2.0, PREVIEW_SIZE[0] / width))
        image = bitmap.to_pil()
        return image_preview(image)
    finally:
        pdf.close()
