"""Documents: identity and proof files, uploaded as streamed multipart.

The file goes from disk to the socket in chunks (httpx multipart reads file objects piecewise),
so a 20 MB upload never sits in memory whole. Telnyx deletes a document that is not linked to a
service within 30 minutes: upload just before the PATCH that uses it. Contents are never logged.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from portal import bounded_json
from portal.telnyx.creating import new_reference
from portal.telnyx.endpoint import Endpoints, compact, parse, seg, unwrap
from portal.telnyx.errors import UnexpectedResponseError
from portal.telnyx.models import Document, DocumentLink


class DocumentsMixin(Endpoints):
    def upload_document(
        self,
        path_or_fileobj: str | os.PathLike[str] | IO[bytes],
        filename: str,
        customer_reference: str | None = None,
        content_type: str | None = None,
    ) -> Document:
        """POST /documents (CreateDocument) as multipart/form-data, streamed.

        A unique ``customer_reference`` is generated when none is given; after an ambiguous
        failure the document is looked up by it before uploading again.
        """
        if not filename:
            raise ValueError("a filename is required")
        reference = customer_reference or new_reference("doc")
        mime = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        owned: IO[bytes] | None = None
        if isinstance(path_or_fileobj, str | os.PathLike):
            owned = Path(path_or_fileobj).open("rb")  # noqa: SIM115 - closed below
            fileobj: IO[bytes] = owned
        else:
            fileobj = path_or_fileobj
        start = fileobj.tell() if fileobj.seekable() else None

        used = False

        def rewind(attempt: int) -> None:
            nonlocal used
            if start is not None:
                fileobj.seek(start)
            elif used:
                raise ValueError("cannot re-send an upload from a stream that cannot seek")
            used = True

        def send() -> Document:
            response = self._transport.request(
                "POST",
                "documents",
                files={"file": (filename, fileobj, mime)},
                data={"customer_reference": reference},
                retry=False,
                before_attempt=rewind,
            )
            try:
                payload = bounded_json.loads(response.content)
            except ValueError:
                raise UnexpectedResponseError("Telnyx answered the upload without JSON") from None
            return parse(Document, unwrap(payload))

        def lookup() -> Document | None:
            for document in self.iter_documents(customer_reference__eq=reference):
                if document.customer_reference == reference:
                    return document
            return None

        try:
            return self._create(what="document", send=send, lookup=lookup, reference=reference)
        finally:
            if owned is not None:
                owned.close()

    def get_document(self, id: str) -> Document:
        """GET /documents/{id} (RetrieveDocument)."""
        return self._one(Document, "GET", f"documents/{seg(id)}")

    def update_document(
        self, id: str, filename: str | None = None, customer_reference: str | None = None
    ) -> Document:
        """PATCH /documents/{id} (UpdateDocument): filename and reference only."""
        body = compact({"filename": filename, "customer_reference": customer_reference})
        return self._one(Document, "PATCH", f"documents/{seg(id)}", json=body)

    def download_document(self, id: str) -> bytes:
        """GET /documents/{id}/download (DownloadDocument): the raw bytes."""
        response = self._transport.request(
            "GET", f"documents/{seg(id)}/download", headers={"Accept": "*/*"}
        )
        return response.content

    def delete_document(self, id: str) -> Document | None:
        """DELETE /documents/{id} (DeleteDocument); refused while the document is linked."""
        return self._delete(Document, f"documents/{seg(id)}")

    def iter_documents(self, **filters: Any) -> Iterator[Document]:
        """GET /documents (ListDocuments), newest first, every page.

        Filters: ``filename__contains``, ``customer_reference__eq``,
        ``customer_reference__in`` (a list), ``created_at__gt`` / ``created_at__lt``.
        """
        extra: list[tuple[str, str]] = []
        refs = filters.pop("customer_reference__in", None)
        if refs:
            extra = [("filter[customer_reference][in][]", str(r)) for r in refs]
        return self._iter(Document, "documents", filters, extra=extra)

    def iter_document_links(self, **filters: Any) -> Iterator[DocumentLink]:
        """GET /document_links (ListDocumentLinks), every page.

        Filters: ``linked_record_type``, ``linked_resource_id``.
        """
        return self._iter(DocumentLink, "document_links", filters)

    def iter_document_links_for(self, document_id: str) -> Iterator[DocumentLink]:
        """The links of one document (filtered here: the API filters by linked record)."""
        return (link for link in self.iter_document_links() if link.document_id == document_id)


__all__ = ["DocumentsMixin"]
