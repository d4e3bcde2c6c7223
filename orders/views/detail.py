"""Order detail: placing progress (polled), sub orders, numbers with deadlines, timeline,
Refresh now, approve, and cancelling a pending sub order."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from orders import end_users, group_needs
from orders.access import get_order, get_sub_order
from orders.cancelling import CancelRefused, cancel_sub_order, may_cancel
from orders.forms import CancelSubOrderForm
from orders.intents import SAVED_NOT_SENT
from orders.models import (
    NumberOrder,
    NumberStatusChange,
    PlacingState,
    SubOrderComment,
    SyncRun,
)
from orders.placing import PlacingRefused, approve, split_order, waiting_for_broker
from orders.selection import SelectedNumber, Selection, SelectionFull
from orders.sync import refresh_order
from portal.htmx import HtmxHttpRequest
from portal.telnyx.errors import TelnyxError

VIEW = "orders.view_numberorder"


def _context(order: NumberOrder, user: Any) -> dict[str, object]:
    last_pass = SyncRun.objects.filter(state=SyncRun.State.DONE).order_by("-pk").first()
    last_synced = order.last_synced_at
    # A pass that found nothing to change writes nothing, but it did check this order.
    checked = last_pass.finished_at if last_pass else None
    if checked and not order.is_final and order.telnyx_id:
        last_synced = max(checked, last_synced) if last_synced else checked
    sub_orders = list(
        order.sub_orders.select_related(
            "assignee", "number_order", "cancelled_by"
        ).prefetch_related(
            "numbers", Prefetch("comments", SubOrderComment.objects.select_related("author"))
        )
    )
    for sub in sub_orders:
        sub.user_may_cancel = sub.can_cancel and may_cancel(user, sub)  # type: ignore[attr-defined]
    timeline = (
        NumberStatusChange.objects.filter(number__number_order=order)
        .select_related("number")
        .order_by("-at", "-pk")[:200]
    )
    end_users.attach([order])
    return {
        "order": order,
        "sub_orders": sub_orders,
        "unassigned_numbers": order.numbers.filter(sub_order__isnull=True),
        "timeline": timeline,
        "last_synced": last_synced,
        "poll_seconds": settings.ORDERS_PROGRESS_POLL_SECONDS,
        "live_seconds": settings.PORTAL_LIVE_POLL_SECONDS,
        "placing_errors": order.placing_errors,
        "group_refused": any(group_needs.is_group_refusal(e) for e in order.placing_errors),
        "split": split_order(order) if order.placing_errors else None,
    }


@login_required
@permission_required(VIEW, raise_exception=True)
@vary_on_headers("HX-Request")
def order_detail(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    order = get_order(request.user, public_id)
    context = _context(order, request.user)
    if request.htmx and request.GET.get("part") == "progress":
        if order.is_placing or order.placing_state == PlacingState.AWAITING_APPROVAL:
            return render(request, "orders/detail.html#progress", context)
        # Done: stop polling (286) and reload the page once to show the sub orders.
        response = HttpResponseStopPolling()
        response["HX-Refresh"] = "true"
        return response
    if request.htmx and request.GET.get("part") == "sub-orders":
        return render(request, "orders/detail.html#sub-orders", context)
    # Outside the polled regions: worked out for the page, not for every poll.
    context["unusable_groups"] = group_needs.unusable_groups(order)
    return render(request, "orders/detail.html", context)


@login_required
@permission_required("orders.refresh_numberorder", raise_exception=True)
@require_POST
def order_refresh(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    order = get_order(request.user, public_id)
    try:
        changes = refresh_order(order, source="user")
    except TelnyxError as exc:
        messages.error(request, f"Telnyx could not be asked right now: {exc}")
    else:
        messages.success(
            request,
            f"Refreshed from Telnyx: {changes.rows} change(s)."
            if changes.rows
            else "Refreshed from Telnyx: nothing changed.",
        )
    order.refresh_from_db()
    if request.htmx:
        return render(request, "orders/detail.html#sub-orders", _context(order, request.user))
    return redirect(order)


@login_required
@permission_required("orders.approve_numberorder", raise_exception=True)
@require_POST
def order_approve(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    order = get_order(request.user, public_id)
    try:
        if not approve(order, request.user, request=request):
            messages.info(request, "This order was not waiting for approval.")
        elif waiting_for_broker(order):
            messages.warning(request, SAVED_NOT_SENT)
    except PlacingRefused as exc:
        messages.error(request, str(exc))
    return HttpResponseClientRedirect(order.get_absolute_url()) if request.htmx else redirect(order)


@login_required
@permission_required("orders.place_numberorder", raise_exception=True)
@require_POST
def order_reselect(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    """Put a failed order's numbers back into the selection, minus those Telnyx refused.

    A number refused only for want of a requirement group comes back too: the review then
    holds it back with the reason and offers to place the others."""
    order = get_order(request.user, public_id)
    refused = {
        e.get("phone_number")
        for e in order.placing_errors
        if e.get("phone_number") and not group_needs.is_group_refusal(e)
    }
    split = split_order(order)
    if split is not None:  # those are being placed already: never offer them twice
        refused |= {n["phone_number"] for n in split.requested_numbers}
    numbers = [
        SelectedNumber.from_dict({**n, "found_at": ""})
        for n in order.requested_numbers
        if n["phone_number"] not in refused
    ]
    try:
        added = Selection(request.session).add(numbers)
    except SelectionFull as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{added} number(s) are back in the selection.")
    return redirect("orders:review")


@login_required
def sub_order_cancel(request: HtmxHttpRequest, public_id: str, sub_id: str) -> HttpResponse:
    order = get_order(request.user, public_id)
    sub = get_sub_order(request.user, order, sub_id)
    if not may_cancel(request.user, sub):
        raise PermissionDenied
    form = CancelSubOrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancel_sub_order(request.user, sub, form.cleaned_data["reason"], request=request)
        except (CancelRefused, TelnyxError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Sub order {sub.country_code} {sub.phone_number_type} cancelled."
            )
            if request.htmx:
                return HttpResponseClientRedirect(order.get_absolute_url())
            return redirect(order)
    template = "orders/cancel.html#form" if request.htmx else "orders/cancel.html"
    return render(request, template, {"order": order, "sub": sub, "form": form})
