"""The deadline board: numbers with a deadline, soonest first, grouped by day, one page at a
time, with counts per window; filters (owner, window) and the page are in the query string."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from compliance import deadlines
from compliance.access import VIEW_PERM
from orders.filters import OWNER_CHOICES
from portal.htmx import HtmxHttpRequest


@login_required
@vary_on_headers("HX-Request")
def board(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_PERM):
        raise Http404("Not found")
    owner = request.GET.get("owner", "")
    owner = owner if owner in dict(OWNER_CHOICES) else ""
    window = request.GET.get("window", "")
    window = window if window in deadlines.WINDOW_KEYS else ""
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    shown = deadlines.board(owner=owner, user=request.user, window=window, page=page)
    kept = {"owner": owner} if owner else {}
    filters = {**kept, "window": window} if window else kept
    context = {
        "board": shown,
        "owner": owner,
        "window": window,
        "owner_choices": OWNER_CHOICES,
        "owner_query": urlencode(kept),  # the window links keep the owner
        "filters_query": urlencode(filters),  # the page links keep both
        # The board refreshes itself with the very same URL (filters and page).
        "query": urlencode({**filters, "page": shown.page} if shown.page > 1 else filters),
    }
    template = "compliance/deadlines.html"
    if request.htmx:
        template += "#board"
    return render(request, template, context)
