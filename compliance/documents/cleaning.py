"""Content checks and cleaning of one uploaded document, in a child process (P27, P28, P46, P52).

Decompression is where an upload can exhaust a server: a 1 MB PDF whose page content inflates to
1 GiB, an image that decodes to gigabytes of pixels. ``isolation.py`` therefore runs this module
in a fresh interpreter with an address-space limit, a CPU limit, a file-size limit and a
wall-clock deadline, without the portal's environment (no keys or passwords reach it). Inside,
every bound that can be checked cheaply is checked first, so the refusal says what was wrong:

* PDFs: the page count; every stream's decoded size (Flate chains are inflated a step at a time
  and only counted, other filters are decoded by qpdf) against one budget for the document; the
  pixel count of every image. Then the deny-list of active content (JavaScript, embedded files,
  launch actions, rich media, XFA) refuses the file, and actions are kept by allow-list: every
  ``/OpenAction`` and ``/AA`` is removed, and a link action (``/A``) stays only if it is a
  ``/GoTo`` inside the document (URI, SubmitForm, GoToR, ... are removed). Names are compared
  after qpdf has decoded them, so ``/J#61vaScript`` is ``/JavaScript``. The file is written back
  without re-encoding its streams (nothing is inflated to save it) and without author metadata.
* Images: the pixel count from the header before decoding, then a decode and re-encode without
  metadata.

Protocol: a JSON job on stdin (the three inherited file descriptors and the limits); one JSON
answer on stdout: ``{"pages": n}`` or ``{"refused": message}``. No Django here: the module is
imported by a bare interpreter and must stay quick to start.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

# Markup or code inside an image or PDF makes it a polyglot a browser might execute.
POLYGLOT_MARKERS = re.compile(
    rb"<\s*(script|html|body|iframe|svg|object|embed)\b|<\?php|<!doctype\s+html|javascript:",
    re.IGNORECASE,
)
PDF_FORBIDDEN_KEYS = {
    "/JavaScript": "JavaScript",
    "/JS": "JavaScript",
    "/EmbeddedFile": "embedded files",
    "/EmbeddedFiles": "embedded files",
    "/Launch": "launch actions",
    "/RichMedia": "rich media",
    "/XFA": "XFA forms",
}
# Actions a link may keep: a jump to a page of the same document. Everything else is removed.
ALLOWED_LINK_ACTIONS = {"/GoTo"}
# Filters that only qpdf decodes here; image codecs are decoded by nobody but the renderer.
IMAGE_FILTERS = {"/DCTDecode", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode"}
STEP = 1024 * 1024
MB = 1024 * 1024


class Refused(Exception):
    """The file is not accepted; ``str()`` is the message for the user."""


@dataclass(frozen=True)
class Limits:
    max_pixels: int
    max_pages: int
    max_expanded_bytes: int


# --- PDFs -----------------------------------------------------------------------------------


def _inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Inflate a zlib stream a step at a time (never more than ``STEP`` bytes out at once)."""
    inflater = zlib.decompressobj()
    try:
        for chunk in chunks:
            data = chunk
            while True:
                out = inflater.decompress(data, STEP)
                if out:
                    yield out
                data = inflater.unconsumed_tail
                if inflater.eof or (not data and len(out) < STEP):
                    break
            if inflater.eof:
                return
    except zlib.error:
        return  # damaged data: the renderer stops there too


def _filters(stream: Any) -> list[str]:
    import pikepdf

    value = stream.get("/Filter")
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(item) for item in value]
    return [str(value)]


class _Budget:
    """The decoded bytes a document may still produce; spending past it refuses the file."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise Refused(
                "The PDF's compressed content expands to more than "
                f"{self.limit // MB} MB; it was refused."
            )

    def metered(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.spend(len(chunk))
            yield chunk


def _spend_on_stream(stream: Any, budget: _Budget) -> None:
    """Charge what ``stream`` decodes to; Flate stages are inflated a step at a time, counted
    (inner stages of a chain too: empty deflate blocks cost time, not output) and dropped."""
    import pikepdf

    filters = _filters(stream)
    raw = stream.read_raw_bytes()
    if not filters or filters[0] in IMAGE_FILTERS:
        budget.spend(len(raw))
        return
    if filters[0] != "/FlateDecode":
        try:
            budget.spend(len(stream.read_bytes(pikepdf.StreamDecodeLevel.specialized)))
        except pikepdf.PdfError:
            budget.spend(len(raw))
        return
    chunks: Iterator[bytes] = iter([raw])
    for name in filters:
        if name != "/FlateDecode":
            break
        chunks = budget.metered(_inflate(chunks))
    for _chunk in chunks:
        pass


def check_streams(pdf: Any, limits: Limits) -> None:
    """Refuse a PDF whose streams decode past the budget or that holds a huge image."""
    import pikepdf

    budget = _Budget(limits.max_expanded_bytes)
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        if obj.get("/Subtype") == pikepdf.Name.Image:
            width, height = int(obj.get("/Width", 0)), int(obj.get("/Height", 0))
            if width * height > limits.max_pixels:
                raise Refused("The PDF contains an image with too many pixels.")
        _spend_on_stream(obj, budget)


def _walk_pdf_keys(obj: Any, seen: set[tuple[int, int]], depth: int = 0) -> str | None:
    import pikepdf

    if depth > 64:
        return None
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        key = obj.objgen
        if key in seen:
            return None
        seen.add(key)
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        for name, value in obj.items():
            if name in PDF_FORBIDDEN_KEYS:
                return PDF_FORBIDDEN_KEYS[name]
            if name == "/S" and str(value) in ("/JavaScript", "/Launch"):
                return PDF_FORBIDDEN_KEYS[str(value)]
            found = _walk_pdf_keys(value, seen, depth + 1)
            if found:
                return found
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            found = _walk_pdf_keys(item, seen, depth + 1)
            if found:
                return found
    return None


def _strip_actions_in(obj: Any, depth: int = 0) -> int:
    """Remove every action that is not an internal ``/GoTo`` link from ``obj`` (direct parts)."""
    import pikepdf

    if depth > 64:
        return 0
    removed = 0
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        for key in ("/OpenAction", "/AA"):
            if key in obj:
                del obj[key]
                removed += 1
        action = obj.get("/A")
        if isinstance(action, pikepdf.Dictionary) and "/S" in action:
            if str(action.get("/S")) in ALLOWED_LINK_ACTIONS:
                if "/Next" in action:
                    del action["/Next"]
                    removed += 1
            else:
                del obj["/A"]
                removed += 1
        for _name, value in obj.items():
            if isinstance(value, pikepdf.Object) and not value.is_indirect:
                removed += _strip_actions_in(value, depth + 1)
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            if isinstance(item, pikepdf.Object) and not item.is_indirect:
                removed += _strip_actions_in(item, depth + 1)
    return removed


def strip_actions(pdf: Any) -> int:
    """Keep actions by allow-list across the whole document; return how many were removed."""
    return sum(_strip_actions_in(obj) for obj in pdf.objects) + _strip_actions_in(pdf.trailer)


def clean_pdf(source: BinaryIO, out: BinaryIO, limits: Limits) -> tuple[int, bytes]:
    """Check and clean a PDF from ``source`` into ``out``; return (pages, preview PNG)."""
    import pikepdf

    from compliance.documents.previews import pdf_preview

    header = source.read(1024)
    if header.find(b"%PDF-") != 0:
        raise Refused("The PDF does not start with a PDF header.")
    source.seek(0)
    if POLYGLOT_MARKERS.search(source.read()):
        raise Refused(
            "The file contains embedded web content or code (a polyglot file); it was refused."
        )
    source.seek(0)
    try:
        pdf = pikepdf.open(source)
    except pikepdf.PasswordError as exc:
        raise Refused("Password-protected PDFs cannot be accepted.") from exc
    except (pikepdf.PdfError, ValueError, OSError) as exc:
        raise Refused("The PDF is damaged and cannot be read.") from exc
    with pdf:
        try:
            pages = len(pdf.pages)
        except (pikepdf.PdfError, TypeError, ValueError, KeyError, RuntimeError) as exc:
            raise Refused("The PDF is damaged and cannot be read.") from exc
        if pages == 0:
            raise Refused("The PDF has no pages.")
        if pages > limits.max_pages:
            raise Refused(f"The PDF has {pages} pages; at most {limits.max_pages} are accepted.")
        try:
            check_streams(pdf, limits)
            found = _walk_pdf_keys(pdf.trailer, set())
            if found is None:
                for obj in pdf.objects:
                    found = _walk_pdf_keys(obj, set())
                    if found:
                        break
            if found:
                raise Refused(f"The PDF contains {found}, which is not allowed.")
            strip_actions(pdf)
            for key in list(pdf.docinfo.keys()):
                del pdf.docinfo[key]
            if "/Metadata" in pdf.Root:
                del pdf.Root.Metadata
            # Streams are copied as they are: saving must not inflate anything (qpdf's
            # recompression would decode a Flate stage of a nested chain).
            pdf.save(
                out,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                compress_streams=False,
            )
        except Refused:
            raise
        except (pikepdf.PdfError, TypeError, ValueError, KeyError, RuntimeError) as exc:
            # A structure too broken to inspect cannot be shown to be harmless.
            raise Refused("The PDF is damaged and cannot be read.") from exc
    out.flush()
    out.seek(0)
    try:
        preview = pdf_preview(out)
    except MemoryError:
        raise
    except Exception as exc:  # pdfium raises its own error types for unreadable files
        raise Refused("The PDF cannot be rendered; it may be damaged.") from exc
    return pages, preview


# --- Images ---------------------------------------------------------------------------------


def clean_image(source: BinaryIO, out: BinaryIO, mime: str, limits: Limits) -> bytes:
    """Decode within the pixel limit and re-encode without metadata; return the preview."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    from compliance.documents.previews import PREVIEW_SIZE, image_preview

    if POLYGLOT_MARKERS.search(source.read()):
        raise Refused(
            "The file contains embedded web content or code (a polyglot file); it was refused."
        )
    source.seek(0)
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    # One full-size copy of the pixels at a time: turned in place, thumbnailed in place after
    # the cleaned file is written (a 40 Mpx RGBA image is 160 MB).
    try:
        image = Image.open(source)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Refused("The image has too many pixels to be a scanned document.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Refused("The image is damaged or truncated and cannot be read.") from exc
    try:
        width, height = image.size
        if width * height > limits.max_pixels:
            raise Refused("The image has too many pixels to be a scanned document.")
        try:
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise Refused("The image has too many pixels to be a scanned document.") from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise Refused("The image is damaged or truncated and cannot be read.") from exc
        if mime == "image/jpeg":
            cleaned = image if image.mode in {"RGB", "L"} else image.convert("RGB")
            cleaned.save(out, format="JPEG", quality=90, optimize=True)
        else:
            keep = {"RGB", "RGBA", "L", "LA", "P", "1"}
            cleaned = image if image.mode in keep else image.convert("RGBA")
            cleaned.save(out, format="PNG", optimize=True)
        if cleaned is not image:
            image.close()
        cleaned.thumbnail(PREVIEW_SIZE)
        return image_preview(cleaned)
    finally:
        image.close()


# --- The child process ----------------------------------------------------------------------


def clean(mime: str, source: BinaryIO, out: BinaryIO, limits: Limits) -> tuple[int | None, bytes]:
    """Check and clean one file; return (pages or None, preview PNG). Raises ``Refused``."""
    if mime == "application/pdf":
        return clean_pdf(source, out, limits)
    return None, clean_image(source, out, mime, limits)


def _limit(kind: int, value: int) -> None:
    resource.setrlimit(kind, (value, value))


def main() -> None:
    """Entry point of the child: apply the limits, clean, answer one JSON line."""
    job = json.loads(sys.stdin.read())
    _limit(resource.RLIMIT_AS, job["memory_bytes"])
    _limit(resource.RLIMIT_CPU, job["cpu_seconds"])
    _limit(resource.RLIMIT_FSIZE, job["output_bytes"])
    _limit(resource.RLIMIT_CORE, 0)
    limits = Limits(**job["limits"])
    source = os.fdopen(job["source_fd"], "rb", closefd=False)
    out = os.fdopen(job["out_fd"], "w+b", closefd=False)
    preview_out = os.fdopen(job["preview_fd"], "w+b", closefd=False)
    try:
        pages, preview = clean(job["mime"], source, out, limits)
        preview_out.write(preview)
        preview_out.flush()
        out.flush()
        answer: dict[str, Any] = {"pages": pages}
    except Refused as exc:
        answer = {"refused": str(exc)}
    except MemoryError:
        answer = {"memory": True}
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


if __name__ == "__main__":  # pragma: no cover - started by isolation.py
    main()
