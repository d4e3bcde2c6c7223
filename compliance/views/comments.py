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

from compliance import comments, reply_templates
from compliance.access import FILL_PERM, get_sub_order, require
from compliance.forms import CommentForm, ExtensionRequestForm
from compliance.views.privacy import pii_page
from orders.models import SubNumberOrder
from portal.htmx import HtmxHttpRequest
from portal.telnyx.errors import TelnyxError


def _thread(request: HtmxHttpRequest, sub_order: SubNumberOrder, **extra: Any) -> HttpResponse:
    thread = list(sub_order.comments.select_related("author").order_by("telnyx_created_at"))
    can_reply = request.user.has_perm(FILL_PERM)
    context = {
        "sub_order": sub_order,
        "comments": thread,
        "has_unread": any(c.is_unread for c in thread),
        "unread_count": sum(c.is_unread for c in thread),
        "form": extra.pop("form", None) or CommentForm(),
        "extension_form": extra.pop("extension_form", None) or ExtensionRequestForm(),
        "can_reply": can_reply,
        "chosen_template": extra.pop("chosen_template", ""),
        "chosen_requirement": extra.pop("chosen_requirement", ""),
        **extra,
    }
    if can_reply:
        context["reply_templates"] = reply_templates.texts(sub_order)
        context["reply_requirements"] = reply_templates.requirements(sub_order)
    return render(request, "compliance/comments.html", context)


def _from_template(request: HtmxHttpRequest, sub_order: SubNumberOrder, query: Any) -> HttpResponse:
    """The thread with the reply box filled from the chosen template (nothing is sent)."""
    key, requirement = query.get("template", ""), query.get("requirement", "")
    try:
        body = reply_templates.render(sub_order, key, requirement)
    except KeyError:
        return _thread(request, sub_order, template_error="Choose a template.")
    except reply_templates.UnknownRequirement:
        return _thread(
            request,
            sub_order,
            chosen_template=key,
            template_error="Choose one of this sub order's requirements.",
        )
    return _thread(
        request,
        sub_order,
        form=CommentForm(initial={"body": body}),
        chosen_template=key,
        chosen_requirement=requirement,
    )


@login_required
@require_http_methods(["GET", "POST"])
@pii_page
def thread(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    sub_order = get_sub_order(request, public_id)
    if request.method == "GET":
        if "template" in request.GET and request.user.has_perm(FILL_PERM):
            return _from_template(request, sub_order, request.GET)
        return _thread(request, sub_order)
    require(request, FILL_PERM)
    if "use_template" in request.POST:
        return _from_template(request, sub_order, request.POST)
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
