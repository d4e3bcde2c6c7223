"""The comment thread fragment of a sub order (HTMX).

Opening it (GET) changes nothing, here or at Telnyx: unread admin comments are shown as new
until someone presses "Mark as read", a POST (CSRF-checked like every write, P36) that marks
them read at Telnyx and then here.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from compliance import comments
from compliance.access import FILL_PERM, get_sub_order, require
from compliance.forms import CommentForm, ExtensionRequestForm
from compliance.views.privacy import pii_page
from orders.models import SubNumberOrder
from portal.htmx import HtmxHttpRequest
from portal.telnyx.errors import TelnyxError


def _thread(request: HtmxHttpRequest, sub_order: SubNumberOrder, **extra: Any) -> HttpResponse:
    thread = list(sub_order.comments.select_related("author").order_by("telnyx_created_at"))
    context = {
        "sub_order": sub_order,
        "comments": thread,
        "has_unread": any(c.is_unread for c in thread),
        "form": extra.pop("form", None) or CommentForm(),
        "extension_form": extra.pop("extension_form", None) or ExtensionRequestForm(),
        "can_reply": request.user.has_perm(FILL_PERM),
        **extra,
    }
    return render(request, "compliance/comments.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@pii_page
def thread(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    sub_order = get_sub_order(request, public_id)
    if request.method == "GET":
        return _thread(request, sub_order)
    require(request, FILL_PERM)
    form = CommentForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            comments.reply(sub_order, request.user, form.cleaned_data["body"], request)
        except TelnyxError as exc:
            error = f"Telnyx refused the comment: {exc}"
        else:
            form = CommentForm()
    return _thread(request, sub_order, form=form, error=error)


@login_required
@require_POST
@pii_page
def mark_read(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    sub_order = get_sub_order(request, public_id)
    comments.mark_read(sub_order, request.user, request)
    return _thread(request, sub_order)


@login_required
@require_POST
@pii_page
def request_extension(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    sub_order = get_sub_order(request, public_id)
    require(request, FILL_PERM)
    form = ExtensionRequestForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            comments.request_extension(
                sub_order,
                request.user,
                form.cleaned_data["days"],
                form.cleaned_data["reason"],
                request,
            )
        except TelnyxError as exc:
            error = f"Telnyx refused the request: {exc}"
        else:
            form = ExtensionRequestForm()
    return _thread(request, sub_order, extension_form=form, error=error)
