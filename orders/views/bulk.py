"""Bulk order (US/CA): the ordering-groups form and the bulk order's progress page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from orders import bulk as bulk_logic
from orders.access import get_bulk_order
from orders.forms import BulkOrderForm, bulk_group_formset
from orders.intents import SAVED_NOT_SENT, OrderOptions, PlacingRefused
from orders.models import PLACING_ACTIVE_STATES, BulkOrder, PlacingState
from portal.htmx import HtmxHttpRequest


@login_required
@permission_required("orders.place_numberorder", raise_exception=True)
def bulk_new(request: HtmxHttpRequest) -> HttpResponse:
    form = BulkOrderForm(request.POST or None)
    try:
        extra = int(request.GET.get("groups", "1"))
    except ValueError:
        extra = 1
    groups = bulk_group_formset(extra)(request.POST or None, prefix="group")
    if request.method == "POST" and form.is_valid() and groups.is_valid():
        ordering_groups = [g.as_ordering_group() for g in groups.forms if g.has_changed()]
        try:
            bulk, _ = bulk_logic.create_intent(
                request.user,
                str(form.cleaned_data["intent"]),
                ordering_groups,
                OrderOptions(
                    connection_id=form.cleaned_data["connection_id"],
                    messaging_profile_id=form.cleaned_data["messaging_profile_id"],
                    billing_group_id=form.cleaned_data["billing_group_id"],
                ),
                request=request,
            )
        except PlacingRefused as exc:
            form.add_error(None, str(exc))
        else:
            if bulk_logic.waiting_for_broker(bulk):
                messages.warning(request, SAVED_NOT_SENT)
            url = bulk.get_absolute_url()
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    recent = BulkOrder.objects.select_related("placed_by").order_by("-created_at")[:20]
    return render(
        request,
        "orders/bulk_form.html",
        {"form": form, "groups": groups, "recent": recent, "more_groups": len(groups.forms) + 1},
    )


def _bulk_context(bulk: BulkOrder) -> dict[str, object]:
    rows = bulk_logic.group_progress(bulk)
    orders = {str(o.telnyx_id): o for o in bulk.number_orders.all()}
    for row in rows:
        row["orders"] = [orders.get(str(i)) or i for i in row["order_ids"]]
    total_requested = sum(r["count_requested"] for r in rows)
    total_allocated = sum(r["count_allocated"] for r in rows)
    return {
        "bulk": bulk,
        "rows": rows,
        "total_requested": total_requested,
        "total_allocated": total_allocated,
        "total_percent": int(100 * total_allocated / total_requested) if total_requested else 0,
        "settled": bulk_logic.is_settled(bulk.ordering_groups),
        "in_progress": bulk.placing_state in PLACING_ACTIVE_STATES
        or (
            bulk.placing_state == PlacingState.PLACED
            and not bulk_logic.is_settled(bulk.ordering_groups)
        ),
        "poll_seconds": settings.ORDERS_PROGRESS_POLL_SECONDS,
    }


@login_required
@permission_required("orders.view_bulkorder", raise_exception=True)
@vary_on_headers("HX-Request")
def bulk_detail(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    bulk = get_bulk_order(request.user, public_id)
    context = _bulk_context(bulk)
    if request.htmx and request.GET.get("part") == "progress":
        response = render(request, "orders/bulk_detail.html#progress", context)
        if not context["in_progress"]:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "orders/bulk_detail.html", context)


@login_required
@permission_required("orders.approve_numberorder", raise_exception=True)
@require_POST
def bulk_approve(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    bulk = get_bulk_order(request.user, public_id)
    try:
        if not bulk_logic.approve(bulk, request.user, request=request):
            messages.info(request, "This bulk order was not waiting for approval.")
        elif bulk_logic.waiting_for_broker(bulk):
            messages.warning(request, SAVED_NOT_SENT)
    except PlacingRefused as exc:
        messages.error(request, str(exc))
    url = bulk.get_absolute_url()
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
