"""Orders list: filters, sort, pagination, counts per state."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from orders.access import visible_orders
from orders.forms import OrderListForm
from orders.listing import Filters, filtered, page_rows, state_counts
from portal.htmx import HtmxHttpRequest


@login_required
@permission_required("orders.view_numberorder", raise_exception=True)
@vary_on_headers("HX-Request")
def order_list(request: HtmxHttpRequest) -> HttpResponse:
    form = OrderListForm(request.GET or None)
    placers = get_user_model().objects.filter(placed_number_orders__isnull=False).distinct()
    form.fields["placed_by"].widget.choices = [("", "Anyone")] + [
        (u.pk, u.get_username()) for u in placers.order_by("username")
    ]
    filters = Filters.from_cleaned(form.cleaned_data) if form.is_valid() else Filters()
    base = visible_orders(request.user)
    paginator = Paginator(page_rows(filtered(base, filters)), int(settings.ORDERS_LIST_PAGE_SIZE))
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "counts": state_counts(base),
        "filters": filters,
        "query": query.urlencode(),
    }
    template = "orders/list.html#table" if request.htmx else "orders/list.html"
    return render(request, template, context)
