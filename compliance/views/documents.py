"""Document screens: upload (with inline errors through HTMX), preview and download.

Downloads and previews go only through these views: they check the permission, append a
``DocumentAccess`` row and answer with headers that stop caching, sniffing and rendering (P32,
P43). An unauthorised user gets 404, so document ids cannot be probed.
"""

from __future__ import annotations

from typing import TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from compliance.audit import log_document_access
from compliance.documents import vault
from compliance.documents.intake import DocumentRefused, ingest
from compliance.documents.upload_cap import refused_uploads
from compliance.models import Document
from compliance.views.privacy import mark_private, pii_page
from portal.audit import record
from portal.htmx import HtmxHttpRequest
from portal.ids import uuid_or_404
from portal.security_events import security_event

_Answer = TypeVar("_Answer", HttpResponse, FileResponse)
LOCKED_DOWN_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'none'"


def get_document(request: HtmxHttpRequest, public_id: str) -> Document:
    """The document if the user may read documents; 404 otherwise (never reveal existence)."""
    if not request.user.has_perm("compliance.view_document"):
        security_event(
            "document.read", request=request, outcome="denied", object=f"document:{public_id}"
        )
        raise Http404("No such document")
    try:
        return Document.objects.get(public_id=uuid_or_404(public_id), deleted_at__isnull=True)
    except Document.DoesNotExist as exc:
        raise Http404("No such document") from exc


def _locked_down(response: _Answer) -> _Answer:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = LOCKED_DOWN_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # mark_private only patches headers, which a streamed answer has too.
    mark_private(cast(HttpResponse, response))
    return response


@login_required
@require_GET
def download(request: HtmxHttpRequest, public_id: str) -> FileResponse:
    document = get_document(request, public_id)
    # Decrypted a segment at a time while it is sent (P52); a wrong key fails before the answer.
    plain = vault.open_plain(document.storage_name)
    log_document_access(document, request.user, "download", request)
    response = FileResponse(
        plain,
        as_attachment=True,
        filename=document.original_filename or f"{document.public_id}",
        content_type=document.content_type,
    )
    response.block_size = vault.CHUNK
    return _locked_down(response)


@login_required
@require_GET
def preview(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    document = get_document(request, public_id)
    if not document.preview_name:
        raise Http404("No preview")
    data = vault.get(document.preview_name)
    log_document_access(document, request.user, "preview", request)
    response = HttpResponse(data, content_type="image/png")
    response["Content-Disposition"] = "inline"
    return _locked_down(response)


@sensitive_post_parameters()
@login_required
@require_POST
@pii_page
def upload(request: HtmxHttpRequest) -> HttpResponse:
    """Accept one document; HTMX gets the preview fragment or the inline error."""
    if not request.user.has_perm("compliance.add_document"):
        raise Http404("Not allowed")
    field = request.POST.get("field") or "file"
    file_field = request.POST.get("file_field") or "file"
    sub_order = None
    if request.POST.get("sub_order"):
        from compliance.access import get_sub_order

        sub_order = get_sub_order(request, request.POST["sub_order"])
    error = refused_uploads(request).get(file_field)
    uploads = request.FILES.getlist(file_field)
    if error is None and len(uploads) != 1:
        error = "Choose exactly one file." if not uploads else "Upload one file at a time."
    document = None
    if error is None:
        try:
            document = ingest(uploads[0], uploaded_by=request.user, sub_order=sub_order)
        except DocumentRefused as exc:
            error = str(exc)
    if error is not None:
        record(request.user, "document.upload_refused", request=request, reason=error)
        # The reason is our own wording; the file name and content are never logged (P41/P44).
        security_event("document.upload", request=request, outcome="refused", reason=error)
        status = 413 if "limit" in error else 400
        context = {"error": error, "field": field}
        response = render(request, "compliance/document_upload.html#result", context)
        response.status_code = 200 if request.htmx else status
        return response
    record(request.user, "document.uploaded", document, request=request)
    return render(
        request,
        "compliance/document_upload.html#result",
        {"document": document, "field": field},
        status=200 if request.htmx else 201,
    )
