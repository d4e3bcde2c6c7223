"""Accepting an uploaded identity document: every check runs before anything is stored.

Order: size (empty, over the cap) -> file name -> type sniffed from the first bytes, which must
agree with the extension and the declared type (PDF, JPEG, PNG only) -> the content checks in a
child process with memory and time limits (``isolation``/``cleaning``: polyglot markers, images
decoded under a pixel limit and re-encoded without metadata, PDFs bounded in decoded size,
refused when they carry JavaScript, embedded files or launch actions, stripped of every action
but internal links and of author metadata) -> optional virus scan -> preview -> encrypted storage.
Any refusal raises ``DocumentRefused`` with a message for the user and leaves nothing on disk or
in the database (P26-P31, P33, P46, P52).

The upload is never held whole in the web process (P52): it arrives in an anonymous temporary
file (``upload_cap``), the child reads it from there and writes the cleaned file to another
one, and the vault encrypts that a chunk at a time. Temporary files have no name on disk, so
no plaintext copy is left behind even if the process is killed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from compliance.documents import isolation, scanner, vault
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
SNIFF_BYTES = 8192
CHUNK = 64 * 1024


class DocumentRefused(Exception):
    """An upload that was not accepted; ``str()`` is the message shown to the user."""


@dataclass
class CleanFile:
    data: bytes
    content_type: str
    page_count: int | None
    preview_png: bytes


def _too_large() -> DocumentRefused:
    return DocumentRefused(
        f"The file is larger than the {settings.DOCUMENT_MAX_BYTES // (1024 * 1024)} MB limit."
    )


def _temporary() -> IO[bytes]:
    """An anonymous temporary file (no name on disk) in the upload temp directory."""
    return tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR or None)


def _real_file(fh: Any) -> bool:
    try:
        return os.fstat(fh.fileno()) is not None
    except (AttributeError, OSError, ValueError):
        return False


@contextlib.contextmanager
def spooled(upload: UploadedFile) -> Iterator[IO[bytes]]:
    """The upload as a real file at offset 0, within the cap (copied in chunks if in memory)."""
    limit = settings.DOCUMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise _too_large()
    raw = upload.file
    if raw is not None and _real_file(raw):
        raw.seek(0)
        yield raw
        return
    with _temporary() as copy:
        upload.seek(0)
        copied = 0
        while chunk := upload.read(CHUNK):
            copied += len(chunk)
            if copied > limit:
                raise _too_large()
            copy.write(chunk)
        copy.seek(0)
        yield copy


def _size(fh: IO[bytes]) -> int:
    return os.fstat(fh.fileno()).st_size


def detect_type(data: bytes, filename: str, declared: str = "") -> str:
    """The allowlisted MIME type of ``data``, agreeing with its extension and declared type."""
    kind = filetype.guess(data[:SNIFF_BYTES])
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


def check_file(
    source: IO[bytes], filename: str, declared: str, out: IO[bytes], preview: IO[bytes]
) -> tuple[str, int | None]:
    """Check ``source`` (a real file) and write its cleaned form to ``out``, its PNG preview
    to ``preview``; return (content type, page count). Raises ``DocumentRefused``."""
    source.flush()
    size = _size(source)
    if size > settings.DOCUMENT_MAX_BYTES:
        raise _too_large()
    if size == 0:
        raise DocumentRefused("The file is empty.")
    source.seek(0)
    mime = detect_type(source.read(SNIFF_BYTES), filename, declared)
    try:
        pages = isolation.check(mime, source, out, preview)
    except isolation.CheckRefused as exc:
        raise DocumentRefused(str(exc)) from exc
    return mime, pages


def inspect(data: bytes, filename: str, declared: str = "") -> CleanFile:
    """Run the content checks on ``data``; return the sanitized bytes and a preview.

    A convenience for tests and benchmarks; uploads go through ``ingest``, which never holds
    the file in memory.
    """
    if not data:
        raise DocumentRefused("The file is empty.")
    with _temporary() as source, _temporary() as out, _temporary() as preview:
        source.write(data)
        mime, pages = check_file(source, filename, declared, out, preview)
        return CleanFile(out.read(), mime, pages, preview.read())


def ingest(
    upload: UploadedFile,
    *,
    uploaded_by: Any,
    sub_order: Any = None,
    profile: Any = None,
) -> Document:
    """Check, sanitize, scan, encrypt and store an upload; return its ``Document`` row."""
    with spooled(upload) as source:
        try:
            filename = sanitize_filename(upload.name or "")
        except UnsafeFilename as exc:
            raise DocumentRefused(str(exc)) from exc
        declared = getattr(upload, "content_type", "") or ""
        with _temporary() as cleaned, _temporary() as preview_file:
            mime, pages = check_file(source, filename, declared, cleaned, preview_file)
            scan_status = Document.Scan.NOT_CONFIGURED
            if scanner.scanner_configured():
                source.seek(0)
                try:
                    scanner.scan_file(source)
                except scanner.ScanRefused as exc:
                    logger.warning("upload refused by the virus scanner")
                    raise DocumentRefused(str(exc)) from exc
                scan_status = Document.Scan.CLEAN
            return _store(
                cleaned,
                preview_file.read(),
                filename=filename,
                content_type=mime,
                page_count=pages,
                scan_status=scan_status,
                sub_order=sub_order,
                profile=profile,
                uploaded_by=uploaded_by,
            )


def _store(cleaned: IO[bytes], preview_png: bytes, **fields: Any) -> Document:
    """Encrypt the cleaned file (a chunk at a time) and its preview; create the row."""
    filename = fields.pop("filename")
    stored = vault.put_file(cleaned)
    preview = ""
    try:
        preview = vault.put(preview_png)
        with transaction.atomic():
            return Document.objects.create(
                storage_name=stored.name,
                preview_name=preview,
                original_filename=filename,
                size=stored.size,
                sha256=stored.sha256,
                **fields,
            )
    except BaseException:
        vault.delete(stored.name)
        vault.delete(preview)
        raise
