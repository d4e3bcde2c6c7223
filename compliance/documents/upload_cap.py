"""An upload handler that enforces the document size cap while the body streams in (P26).

``FILE_UPLOAD_MAX_MEMORY_SIZE`` only chooses memory or a temp file, and
``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not count file data, so neither is a cap. This handler sits
first in ``FILE_UPLOAD_HANDLERS``: as soon as one file passes ``DOCUMENT_MAX_BYTES`` it skips the
file (the later handlers close and delete what they had written, the rest of that part is read
and discarded, never buffered) and notes the refusal on the request for the view to report.
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

TOO_LARGE = "The file is larger than the {mb} MB limit."


def refused_uploads(request: HttpRequest) -> dict[str, str]:
    """Field name -> reason for every file the cap skipped during this request."""
    return getattr(request, "_compliance_refused_uploads", {})


class SizeCapUploadHandler(FileUploadHandler):
    def new_file(
        self,
        field_name: str,
        file_name: str,
        content_type: str,
        content_length: int | None,
        charset: str | None = None,
        content_type_extra: dict[str, bytes] | None = None,
    ) -> None:
        super().new_file(
            field_name, file_name, content_type, content_length, charset, content_type_extra
        )
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.DOCUMENT_MAX_BYTES:
            if self.request is not None:
                refused = self.request.__dict__.setdefault("_compliance_refused_uploads", {})
                refused[self.field_name] = TOO_LARGE.format(
                    mb=settings.DOCUMENT_MAX_BYTES // (1024 * 1024)
                )
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class AnonymousTemporaryFileUploadHandler(FileUploadHandler):
    """Streams a file to an anonymous temporary file in ``FILE_UPLOAD_TEMP_DIR`` (P52).

    Django's own handler uses a named temporary file, which a killed process leaves behind with
    an identity document in clear; this one has no name on disk (``O_TMPFILE``/unlinked at
    once), so the kernel frees it with the last descriptor whatever happens.
    """

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR or None)  # noqa: SIM115

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.file.write(raw_data)

    def file_complete(self, file_size: int) -> UploadedFile:
        self.file.seek(0)
        return UploadedFile(
            file=self.file,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )

    def upload_interrupted(self) -> None:
        if hasattr(self, "file"):
            self.file.close()
