"""A requirement group's comments on its page: the thread (an htmx partial), replies to Telnyx
(from a template or typed), and the explicit "mark read" POSTs, Telnyx first (P36).

Opening the page or the partial marks nothing read. Without JavaScript each POST answers
with a redirect back to the group's page; with htmx, with the thread partial.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from compliance import comments, groups, reply_templates
from compliance.access import FILL_PERM, get_group, require
from compliance.forms import CommentForm
from compliance.models import RequirementGroupComment, RequirementGroupLink
from compliance.views.privacy import pii_page
from portal.htmx import HtmxHttpRequest
from portal.ids import uuid_or_404
from portal.telnyx.errors import TelnyxError


def thread_context(
    request: HtmxHttpRequest, link: RequirementGroupLink, **extra: Any
) -> dict[str, Any]:
    """What the thread partial needs (the group page includes it too)."""
    thread = list(link.comments.select_related("author"))
    can_reply = request.user.has_perm(FILL_PERM) and bool(link.telnyx_id)
    context = {
        "group": link,
        "comments": thread,
        "has_unread": any(c.is_unread for c in thread),
        "can_reply": can_reply,
        "form": extra.pop("form", None) or CommentForm(),
        "chosen_template": extra.pop("chosen_template", ""),
        "chosen_requirement": extra.pop("chosen_requirement", ""),
        **extra,
    }
    if can_reply:
        context["reply_templates"] = reply_templates.group_texts(link)
        context["reply_requirements"] = reply_templates.group_requirements(link)
    return context


def _thread(request: HtmxHttpRequest, link: RequirementGroupLink, **extra: Any) -> HttpResponse:
    if not request.htmx:
        error = extra.get("error") or extra.get("template_error")
        if error:
            messages.error(request, error)
        return redirect(link.get_absolute_url() + "#comments")
    context = thread_context(request, link, **extra)
    return render(request, "compliance/partials/group_comments.html", context)


def template_choice(link: RequirementGroupLink, query: Any) -> dict[str, Any]:
    """The reply box filled from the chosen template (nothing is sent), or why not."""
    key, requirement = query.get("template", ""), query.get("requirement", "")
    try:
        body = reply_templates.render_group(link, key, requirement)
    except KeyError:
        return {"template_error": "Choose a template."}
    except reply_templates.UnknownRequirement:
        return {
            "chosen_template": key,
            "template_error": "Choose one of this group's requirements.",
        }
    return {
        "form": CommentForm(initial={"body": body}),
        "chosen_template": key,
        "chosen_requirement": requirement,
    }


@login_required
@require_http_methods(["GET", "POST"])
@pii_page
def thread(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    """GET: the thread partial (a template's text in the reply box with ``?template=``).
    POST: a reply sent to Telnyx, stored with its portal author."""
    link = get_group(request, public_id)
    if request.method == "GET":
        extra = {}
        if "template" in request.GET and request.user.has_perm(FILL_PERM):
            extra = template_choice(link, request.GET)
        context = thread_context(request, link, **extra)
        return render(request, "compliance/partials/group_comments.html", context)
    require(request, FILL_PERM)
    if "use_template" in request.POST:
        if not request.htmx:  # without JavaScript: the page fills the reply box itself
            query = urlencode({k: request.POST.get(k, "") for k in ("template", "requirement")})
            return redirect(f"{link.get_absolute_url()}?{query}#comments")
        return _thread(request, link, **template_choice(link, request.POST))
    form = CommentForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            groups.reply(link, request.user, form.cleaned_data["body"], request)
        except (TelnyxError, groups.GroupError) as exc:
            error = f"Telnyx refused the comment: {exc}"
        else:
            form = CommentForm()
            if not request.htmx:
                messages.success(request, "Reply sent to Telnyx.")
    else:
        error = "Write a reply of at most 2000 characters."
    return _thread(request, link, form=form, error=error)


@login_required
@require_POST
@pii_page
def mark_read(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    link = get_group(request, public_id)
    comments.mark_group_read(link, request.user, request)
    return _thread(request, link)


@login_required
@require_POST
@pii_page
def mark_one_read(request: HtmxHttpRequest, public_id: str, comment_id: str) -> HttpResponse:
    link = get_group(request, public_id)
    try:
        comment = link.comments.get(telnyx_id=str(uuid_or_404(comment_id)), commenter_type="admin")
    except RequirementGroupComment.DoesNotExist as exc:
        raise Http404("Not found") from exc
    comments.mark_one_read(comment, request.user, request)
    error = "Telnyx did not take the read mark; try again." if comment.is_unread else ""
    return _thread(request, link, error=error)
