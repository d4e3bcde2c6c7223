"""The home page: the work queue (all sections, or one section paged), refreshed by htmx."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render

from compliance import work_queue
from compliance.access import VIEW_PERM
from orders.forms import PHONE_NUMBER_TYPES
from orders.models import SubNumberOrder
from portal.htmx import HtmxHttpRequest

SCOPE_CHOICES = [("mine", "Mine"), ("unassigned", "Unassigned"), ("everyone", "Everyone")]


def home(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_PERM):
        return render(request, "home.html", {"queue": None})
    filters = work_queue.Filters.from_query(request.GET)
    only = request.GET.get("section")
    if only not in work_queue.SECTIONS:
        only = None
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    page = min(page, 10_000)
    sections = work_queue.build(request.user, filters, only=only, page=page)
    query = request.GET.copy()
    for name in ("part", "page"):
        query.pop(name, None)
    context = {
        "queue": sections,
        "filters": filters,
        "only": only,
        "page": page,
        "page_size": work_queue.PAGE_SIZE,
        "query": query.urlencode(),
        "poll_seconds": settings.PORTAL_LIVE_POLL_SECONDS,
        "countries": sorted(c for c in _countries() if c),
        "number_types": PHONE_NUMBER_TYPES,
        "scope_choices": SCOPE_CHOICES,
        "has_next": bool(only and sections and sections[0].count > page * work_queue.PAGE_SIZE),
    }
    if request.htmx and request.GET.get("part") == "queue":
        return render(request, "home.html#queue", context)
    return render(request, "home.html", context)


def _countries() -> list[str]:
    return list(SubNumberOrder.objects.order_by().values_list("country_code", flat=True).distinct())
