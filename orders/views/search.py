"""Search screen: every Telnyx filter, results as a table, picking numbers into the selection."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from orders.forms import SearchForm
from orders.search import search_available
from orders.selection import SelectedNumber, Selection, SelectionFull
from portal.htmx import HtmxHttpRequest
from portal.redirects import safe_next
from portal.telnyx.errors import TelnyxError

LAST_RESULTS_KEY = "orders.last_search"
PERM = "orders.place_numberorder"


@login_required
@permission_required(PERM, raise_exception=True)
@vary_on_headers("HX-Request")
def search(request: HtmxHttpRequest) -> HttpResponse:
    """GET with filters runs the search; htmx requests get only the results fragment."""
    form = SearchForm(request.GET or None)
    outcome, error = None, ""
    if form.is_bound and form.is_valid():
        try:
            outcome = search_available(form.telnyx_filters())
        except TelnyxError as exc:
            error = str(exc)
        else:
            # Only numbers this search returned can be picked, with the prices it showed.
            request.session[LAST_RESULTS_KEY] = {
                n.phone_number: n.as_dict() for n in outcome.numbers
            }
    selection = Selection(request.session)
    context = {"form": form, "outcome": outcome, "error": error, "selection": selection}
    template = "orders/search.html#results" if request.htmx else "orders/search.html"
    return render(request, template, context)


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def selection_add(request: HtmxHttpRequest) -> HttpResponse:
    found = request.session.get(LAST_RESULTS_KEY) or {}
    wanted = request.POST.getlist("phone_number")
    picked = [SelectedNumber.from_dict(found[p]) for p in wanted if p in found]
    selection = Selection(request.session)
    try:
        added = selection.add(picked)
    except SelectionFull as exc:
        messages.error(request, str(exc))
        added = 0
    if len(picked) < len(wanted):
        messages.warning(request, "Some numbers were not in the last search and were skipped.")
    return _selection_response(request, selection, f"{added} added")


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def selection_remove(request: HtmxHttpRequest) -> HttpResponse:
    selection = Selection(request.session)
    removed = selection.remove(request.POST.getlist("phone_number"))
    return _selection_response(request, selection, f"{removed} removed")


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def selection_clear(request: HtmxHttpRequest) -> HttpResponse:
    selection = Selection(request.session)
    selection.clear()
    return _selection_response(request, selection, "cleared")


def _selection_response(request: HtmxHttpRequest, selection: Selection, note: str) -> HttpResponse:
    if not request.htmx:
        return redirect(safe_next(request, request.POST.get("next"), reverse("orders:search")))
    response = render(
        request, "orders/search.html#selection", {"selection": selection, "note": note}
    )
    return trigger_client_event(response, "selectionChanged", {"count": len(selection)})
