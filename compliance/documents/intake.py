"""Accepting an uploaded identity document: every check runs before anything is stored.

Order: size (empty, over the cap) -> file name -> type sniffed from the bytes, which must agree
with the extension and the declared type (PDF, JPEG, PNG only) -> polyglot markers -> images
decoded under a pixel limit and re-encoded without metadata, PDFs parsed and refused when they
carry JavaScript, embedded files or launch actions, and stripped of author metadata -> optional
virus scan -> preview -> encrypted storage. Any refusal raises ``DocumentRefused`` with a message
for the user and leaves nothing on disk or in the database (P26-P31, P33, P46).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from typing import Any

import filetype
import pikepdf
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from compliance.documents import previews, scanner, vault
from compliance.documents.filenames import UnsafeFilename, extension_of, sanitize_filename
from compliance.models import Document

logger = logging.getLogger(__name__)

ALLOWED = {
    "application/pdf": {"pdf"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/png": {"png"},
}
ALLOWED_LABEL = "PDF, JPEG or PNG"
GENERIC_DECLARED = {"", "application/octet-stream", "binary/octet-stream"}
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


class DocumentRefused(Exception):
    """An upload that was not accepted; ``str()`` is the message shown to the user."""


@dataclass
class CleanFile:
    data: bytes
    content_type: str
    page_count: int | None
    preview_png: bytes


def read_upload(upload: UploadedFile) -> bytes:
    """Read an upload within the cap (the upload handler already stopped larger bodies)."""
    limit = settings.DOCUMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise DocumentRefused(f"The file is larger than the {limit // (1024 * 1024)} MB limit.")
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise DocumentRefused(f"The file is larger than the {limit // (1024 * 1024)} MB limit.")
    if not data:
        raise DocumentRefused("The file is empty.")
    return data


def detect_type(data: bytes, filename: str, declared: str = "") -> str:
    """The allowlisted MIME type of ``data``, agreeing with its extension and declared type."""
    kind = filetype.guess(data)
    mime = kind.mime if kind is not None else ""
    if mime not in ALLOWED:
        raise DocumentRefused(
            f"This file is not a {ALLOWED_LABEL} document (its content was checked, not its name)."
        )
    if extension_of(filename) not in ALLOWED[mime]:
        raise DocumentRefused(
            "The file name's extension does not match its content "
            f"(the content is {mime.split('/')[1].upper()})."
        )
    declared = (declared or "").split(";")[0].strip().lower()
    if declared not in GENERIC_DECLARED and declared != mime:
        raise DocumentRefused("The declared file type does not match the file's content.")
    return mime


def _refuse_polyglot(data: bytes) -> None:
    if POLYGLOT_MARKERS.search(data):
        raise DocumentRefused(
            "The file contains embedded web content or code (a polyglot file); it was refused."
        )


def clean_image(data: bytes, mime: str) -> tuple[bytes, bytes]:
    """Decode within the pixel limit and re-encode without metadata; return (bytes, preview)."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > settings.DOCUMENT_MAX_PIXELS:
                raise DocumentRefused("The image has too many pixels to be a scanned document.")
            probe.load()
            image = ImageOps.exif_transpose(probe)
    except DocumentRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DocumentRefused("The image has too many pixels to be a scanned document.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DocumentRefused("The image is damaged or truncated and cannot be read.") from exc
    out = io.BytesIO()
    if mime == "image/jpeg":
        if image.mode not in {"RGB", "L"}:
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=90, optimize=True)
    else:
        if image.mode not in {"RGB", "RGBA", "L", "LA", "P", "1"}:
            image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
    return out.getvalue(), previews.image_preview(image)


def _walk_pdf_keys(obj: Any, seen: set[tuple[int, int]], depth: int = 0) -> str | None:
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


def clean_pdf(data: bytes) -> tuple[bytes, int, bytes]:
    """Parse, refuse active content, strip author metadata; return (bytes, pages, preview)."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise DocumentRefused("Password-protected PDFs cannot be accepted.") from exc
    except (pikepdf.PdfError, ValueError, OSError) as exc:
        raise DocumentRefused("The PDF is damaged and cannot be read.") from exc
    with pdf:
        pages = len(pdf.pages)
        if pages == 0:
            raise DocumentRefused("The PDF has no pages.")
        if pages > settings.DOCUMENT_MAX_PDF_PAGES:
            raise DocumentRefused(
                f"The PDF has {pages} pages; at most "
                f"{settings.DOCUMENT_MAX_PDF_PAGES} are accepted."
            )
        try:
            found = _walk_pdf_keys(pdf.trailer, set())
            if found is None:
                for objects in pdf.objects:
                    found = _walk_pdf_keys(objects, set())
                    if found:
                        break
        except (pikepdf.PdfError, TypeError, ValueError, KeyError, RuntimeError) as exc:
            # A structure too broken to inspect cannot be shown to be harmless.
            raise DocumentRefused("The PDF is damaged and cannot be read.") from exc
        if found:
            raise DocumentRefused(f"The PDF contains {found}, which is not allowed.")
        for key in list(pdf.docinfo.keys()):
            del pdf.docinfo[key]
        if "/Metadata" in pdf.Root:
            del pdf.Root.Metadata
        out = io.BytesIO()
        pdf.save(out)
    cleaned = out.getvalue()
    try:
        preview = previews.pdf_preview(cleaned)
    except Exception as exc:  # pdfium raises its own error types for unreadable files
        raise DocumentRefused("The PDF cannot be rendered; it may be damaged.") from exc
    return cleaned, pages, preview


def inspect(data: bytes, filename: str, declared: str = "") -> CleanFile:
    """Run the content checks on ``data``; return the sanitized bytes and a preview."""
    mime = detect_type(data, filename, declared)
    if mime == "application/pdf":
        if data[:1024].find(b"%PDF-") != 0:
            raise DocumentRefused("The PDF does not start with a PDF header.")
        _refuse_polyglot(data)
        cleaned, pages, preview = clean_pdf(data)
        return CleanFile(cleaned, mime, pages, preview)
    _refuse_polyglot(data)
    cleaned, preview = clean_image(data, mime)
    return CleanFile(cleaned, mime, None, preview)


def ingest(
    upload: UploadedFile,
    *,
    uploaded_by: Any,
    sub_order: Any = None,
    profile: Any = None,
) -> Document:
    """Check, sanitize, scan, encrypt and store an upload; return its ``Document`` row."""
    data = read_upload(upload)
    try:
        filename = sanitize_filename(upload.name or "")
    except UnsafeFilename as exc:
        raise DocumentRefused(str(exc)) from exc
    clean = inspect(data, filename, getattr(upload, "content_type", "") or "")
    scan_status = Document.Scan.NOT_CONFIGURED
    if scanner.scanner_configured():
        try:
            scanner.scan_bytes(data)
        except scanner.ScanRefused as exc:
            logger.warning("upload refused by the virus scanner")
            raise DocumentRefused(str(exc)) from exc
        scan_status = Document.Scan.CLEAN
    stored = vault.put(clean.data)
    preview = ""
    try:
        preview = vault.put(clean.preview_png)
        with transaction.atomic():
            return Document.objects.create(
                storage_name=stored,
                preview_name=preview,
                original_filename=filename,
                content_type=clean.content_type,
                size=len(clean.data),
                sha256=hashlib.sha256(clean.data).hexdigest(),
                page_count=clean.page_count,
                scan_status=scan_status,
                sub_order=sub_order,
                profile=profile,
                uploaded_by=uploaded_by,
            )
    except BaseException:
        vault.delete(stored)
        vault.delete(preview)
        raise
