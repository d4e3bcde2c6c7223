"""Claim, assign or release a sub order or a requirement group (POST from any list)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from compliance import owners
from compliance.access import FILL_PERM, get_sub_order
from compliance.models import RequirementGroupLink
from portal.htmx import HtmxHttpRequest


def _back(request: HtmxHttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    # Only a path on this site; anything else (a bare word would be read as a view name by
    # ``redirect``) goes back to the object's page.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect(fallback)


def _apply(request: HtmxHttpRequest, target: object, label: str) -> None:
    try:
        new = owners.change(
            request.user,
            target,  # type: ignore[arg-type]
            request.POST.get("action", ""),
            request.POST.get("assignee", ""),
            request=request,
        )
    except owners.OwnerError as exc:
        messages.error(request, str(exc))
    else:
        who = "nobody" if new is None else new.get_username()
        messages.success(request, f"{label} is now owned by {who}.")


@login_required
@require_POST
def sub_order_owner(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    sub = get_sub_order(request, public_id, FILL_PERM)
    _apply(request, sub, f"The {sub.country_code} {sub.phone_number_type} sub order")
    return _back(request, reverse("compliance:sub-order", args=[sub.public_id]))


@login_required
@require_POST
def group_owner(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    if not request.user.has_perm(FILL_PERM):
        raise Http404("Not found")
    link = (
        RequirementGroupLink.objects.filter(public_id=public_id).select_related("profile").first()
    )
    if link is None:
        raise Http404("Not found")
    _apply(request, link, f"The {link.country_code} {link.phone_number_type} requirement group")
    return _back(request, link.get_absolute_url())
