"""The deadline board: every number with a deadline, soonest first, with what is missing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from compliance import deadlines
from compliance.access import VIEW_PERM
from orders.filters import OWNER_CHOICES
from portal.htmx import HtmxHttpRequest


@login_required
def board(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_PERM):
        raise Http404("Not found")
    template = "compliance/deadlines.html"
    if request.htmx:
        template += "#rows"
    owner = request.GET.get("owner", "")
    owner = owner if owner in dict(OWNER_CHOICES) else ""
    rows = deadlines.board(owner=owner, user=request.user)
    context = {"rows": rows, "owner": owner, "owner_choices": OWNER_CHOICES}
    return render(request, template, context)
