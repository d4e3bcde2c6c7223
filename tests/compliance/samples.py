"""Sample files for the upload tests, generated in memory."""

from __future__ import annotations

import io

import pikepdf
from PIL import Image

GPS_IFD = 0x8825


def jpeg_with_gps(marker: str = "CANARY-EXIF-Berlin") -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010E] = marker  # ImageDescription
    exif[0x013B] = "Jane Canary"  # Artist
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 18.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 220)).save(out, format="PNG")
    return out.getvalue()


def pixel_bomb_png(side: int = 20000) -> bytes:
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, format="PNG", optimize=True)
    return out.getvalue()


def pdf(text_marker: str = "", pages: int = 1, author: str = "") -> bytes:
    doc = pikepdf.new()
    for _ in range(pages):
        doc.add_blank_page(page_size=(200, 200))
    if text_marker:
        content = f"BT /F1 12 Tf 20 100 Td ({text_marker}) Tj ET".encode()
        doc.pages[0].Contents = doc.make_stream(content)
    if author:
        doc.docinfo["/Author"] = author
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def pdf_with_javascript() -> bytes:
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(200, 200))
    action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    doc.Root.OpenAction = doc.make_indirect(action)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def pdf_with_embedded_file() -> bytes:
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(200, 200))
    spec = pikepdf.AttachedFileSpec(doc, b"MZ payload", filename="payload.exe")
    doc.attachments["payload.exe"] = spec
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def windows_executable() -> bytes:
    return (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
        + b"\x00" * 200
        + b"PE\x00\x00"
    )


def png_html_polyglot() -> bytes:
    return png() + b"<html><body><script>alert(document.cookie)</script></body></html>"


def zip_bytes() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("a.txt", "hello")
    return out.getvalue()
