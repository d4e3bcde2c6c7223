"""Orders list and numbers list: filters (django-filter, in the query string), sort,
pagination, counts per state, and each list's CSV export with the same filters."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers

from orders import end_users, exports
from orders.access import visible_orders
from orders.filters import NumberFilter, OrderFilter
from orders.listing import page_rows, state_counts
from orders.models import OrderedNumber
from portal import audit
from portal.csv_export import csv_response, filters_query
from portal.htmx import HtmxHttpRequest


def _filters_refused(request: HtmxHttpRequest, filterset: object, template: str) -> HttpResponse:
    return render(request, template, {"filter": filterset}, status=400)


@login_required
@permission_required("orders.view_numberorder", raise_exception=True)
@vary_on_headers("HX-Request")
def order_list(request: HtmxHttpRequest) -> HttpResponse:
    base = visible_orders(request.user)
    filterset = OrderFilter(request.GET, queryset=base, request=request)
    paginator = Paginator(page_rows(filterset.qs), int(settings.ORDERS_LIST_PAGE_SIZE))
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    end_users.attach(page.object_list)
    context = {
        "filter": filterset,
        "form": filterset.form,
        "page": page,
        "counts": state_counts(base),
        "query": filters_query(request),
    }
    template = "orders/list.html#table" if request.htmx else "orders/list.html"
    return render(request, template, context)


@login_required
@permission_required("orders.view_numberorder", raise_exception=True)
def order_export(request: HtmxHttpRequest) -> HttpResponseBase:
    filterset = OrderFilter(request.GET, queryset=visible_orders(request.user), request=request)
    if not filterset.is_valid():
        return _filters_refused(request, filterset, "export_refused.html")
    audit.record(request.user, "export.orders", None, request, filters=filters_query(request))
    return csv_response(
        f"orders-{timezone.now():%Y%m%d-%H%M}.csv",
        exports.ORDER_HEADER,
        exports.order_rows(filterset.qs),
    )


def _numbers(request: HtmxHttpRequest) -> NumberFilter:
    base = OrderedNumber.objects.filter(number_order__in=visible_orders(request.user))
    return NumberFilter(request.GET, queryset=base, request=request)


@login_required
@permission_required("orders.view_orderednumber", raise_exception=True)
@vary_on_headers("HX-Request")
def number_list(request: HtmxHttpRequest) -> HttpResponse:
    filterset = _numbers(request)
    rows = filterset.qs.select_related(
        "number_order", "sub_order", "sub_order__assignee", "number_order__placed_by"
    )
    page = Paginator(rows, int(settings.ORDERS_LIST_PAGE_SIZE)).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "form": filterset.form,
        "page": page,
        "query": filters_query(request),
    }
    template = "orders/numbers.html#table" if request.htmx else "orders/numbers.html"
    return render(request, template, context)


@login_required
@permission_required("orders.view_orderednumber", raise_exception=True)
def number_export(request: HtmxHttpRequest) -> HttpResponseBase:
    filterset = _numbers(request)
    if filterset.is_bound and not filterset.is_valid():
        return _filters_refused(request, filterset, "export_refused.html")
    audit.record(request.user, "export.numbers", None, request, filters=filters_query(request))
    return csv_response(
        f"numbers-{timezone.now():%Y%m%d-%H%M}.csv",
        exports.NUMBER_HEADER,
        exports.number_rows(filterset.qs),
    )
