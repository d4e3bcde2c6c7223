"""The inbox page (GET changes nothing) and its explicit "mark read" actions (POSTs).

Marking read goes to Telnyx first, then here (``compliance.comments``), and is audited. With
htmx, marking one comment (of a sub order or a requirement group) swaps its row and the nav
badge; marking a whole sub order or group (or without JavaScript, either) answers with the list
region or a redirect back to the inbox. The filters narrow sub orders and groups alike.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from compliance import comments, inbox
from compliance.access import VIEW_PERM, get_group, get_sub_order
from compliance.filters import InboxFilter
from compliance.models import RequirementGroupComment, RequirementGroupLink
from compliance.views.privacy import pii_page
from orders.models import SubNumberOrder, SubOrderComment
from portal.htmx import HtmxHttpRequest
from portal.ids import uuid_or_404
from portal.middleware import passive_poll


def _page_number(request: HtmxHttpRequest) -> int:
    try:
        return min(max(1, int(request.GET.get("page", "1"))), 10_000)
    except ValueError:
        return 1


def _context(request: HtmxHttpRequest) -> dict[str, Any]:
    # The countries of sub orders and of requirement groups (one query: a UNION is distinct).
    countries = sorted(
        c
        for (c,) in SubNumberOrder.objects.order_by()
        .values_list("country_code")
        .union(RequirementGroupLink.objects.order_by().values_list("country_code"))
        if c
    )
    data = request.GET.copy()
    data.setdefault("scope", "everyone")
    filters = InboxFilter(
        data, queryset=SubNumberOrder.objects.all(), request=request, countries=countries
    )
    narrow = (
        inbox.Narrow(filters.qs, filters.same_on(RequirementGroupLink.objects.all()))
        if filters.narrows
        else inbox.EVERYTHING
    )
    now = inbox.now()
    page = inbox.build(narrow, filters.unread_only, _page_number(request), now=now)
    query = request.GET.copy()
    query.pop("page", None)
    query_string = query.urlencode()
    back = reverse("compliance:inbox") + (f"?{query_string}" if query_string else "")
    return {
        "filters": filters,
        "page": page,
        "query": query_string,
        "sla_hours": settings.INBOX_SLA_HOURS,
        "poll_seconds": settings.PORTAL_LIVE_POLL_SECONDS,
        # Where a mark-read form without JavaScript comes back to: this page of the inbox.
        "back": back + ("&" if query_string else "?") + f"page={page.page}",
    }


@login_required
@require_GET
@pii_page
def inbox_page(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_PERM):
        raise Http404("Not found")
    return render(request, "compliance/inbox.html", _context(request))


@passive_poll  # the list refreshing itself is not the user's activity (P39)
@login_required
@require_GET
@pii_page
def inbox_list(request: HtmxHttpRequest) -> HttpResponse:
    """The list region alone, for the page's polling (same filters and page as the page)."""
    if not request.user.has_perm(VIEW_PERM):
        raise Http404("Not found")
    return render(request, "compliance/inbox.html#list", {**_context(request), "polled": True})


def _back(request: HtmxHttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not target.startswith(reverse("compliance:inbox")) or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("compliance:inbox")
    return redirect(target, permanent=False)


def _after_read(request: HtmxHttpRequest, comment: Any, item: Any) -> HttpResponse:
    """Back to the inbox, or (htmx) the comment's row again, saying if Telnyx refused."""
    if not request.htmx:
        return _back(request)
    item = item.tick(inbox.now(), inbox.sla())
    inbox.add_details([item])
    context = {
        "item": item,
        "sla_hours": settings.INBOX_SLA_HOURS,
        "back": request.POST.get("next", ""),
        "badge_oob": True,
        "failed": comment.is_unread,
    }
    return render(request, "compliance/inbox.html#row", context)


@login_required
@require_POST
@pii_page
def mark_comment_read(request: HtmxHttpRequest, public_id: str, comment_id: str) -> HttpResponse:
    sub_order = get_sub_order(request, public_id)
    try:
        comment = sub_order.comments.select_related(*inbox.COMMENT_RELATED).get(
            telnyx_id=str(uuid_or_404(comment_id)), commenter_type="admin"
        )
    except SubOrderComment.DoesNotExist as exc:
        raise Http404("Not found") from exc
    comments.mark_one_read(comment, request.user, request)
    return _after_read(request, comment, inbox.comment_item(comment))


@login_required
@require_POST
@pii_page
def mark_sub_order_read(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    sub_order = get_sub_order(request, public_id)
    comments.mark_read(sub_order, request.user, request)
    return _back(request)


def _group_comment(link: RequirementGroupLink, comment_id: str) -> RequirementGroupComment:
    """An admin comment of that group (404 for another group's, so ids cannot be mixed)."""
    try:
        return link.comments.select_related(*inbox.GROUP_COMMENT_RELATED).get(
            telnyx_id=str(uuid_or_404(comment_id)), commenter_type="admin"
        )
    except RequirementGroupComment.DoesNotExist as exc:
        raise Http404("Not found") from exc


@login_required
@require_POST
@pii_page
def mark_group_comment_read(
    request: HtmxHttpRequest, public_id: str, comment_id: str
) -> HttpResponse:
    """One requirement group comment read, from the inbox: Telnyx first, audited."""
    link = get_group(request, public_id)
    comment = _group_comment(link, comment_id)
    comments.mark_one_read(comment, request.user, request)
    return _after_read(request, comment, inbox.group_comment_item(comment))


@login_required
@require_POST
@pii_page
def mark_group_read(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    """Every admin comment of a requirement group read, from the inbox."""
    link = get_group(request, public_id)
    comments.mark_group_read(link, request.user, request)
    return _back(request)
