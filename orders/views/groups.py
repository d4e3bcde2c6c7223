"""Use an approved requirement group on a pending sub order or one of its numbers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render

from compliance.views.privacy import pii_page
from orders import group_attach, group_needs
from orders.access import get_order, get_sub_order
from orders.forms import UseGroupForm
from orders.intents import SAVED_NOT_SENT
from portal.htmx import HtmxHttpRequest

# Applying a group is filling requirements: the same permission as the requirements form.
FILL_PERM = "compliance.add_submission"


@login_required
@pii_page  # groups are named after their profile (P51)
def use_group(request: HtmxHttpRequest, public_id: str, sub_id: str) -> HttpResponse:
    order = get_order(request.user, public_id)
    sub = get_sub_order(request.user, order, sub_id)
    if not request.user.has_perm(FILL_PERM):
        raise PermissionDenied
    links = {str(link.public_id): link for link in group_attach.fitting_for(sub)}
    numbers = {str(n.public_id): n for n in sub.numbers.filter(status="pending")}
    # "Use requirement group for this number" links preselect that number.
    preselected = request.GET.get("number", "")
    form = UseGroupForm(
        request.POST or None,
        initial={"target": preselected} if preselected in numbers else None,
        groups=[(pid, group_needs.group_label(link)) for pid, link in links.items()],
        numbers=[(pid, f"Only {n.phone_number}") for pid, n in numbers.items()],
    )
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        number = None if target == UseGroupForm.ALL else numbers[target]
        try:
            row = group_attach.request_attach(
                request.user, sub, links[form.cleaned_data["group"]], number, request=request
            )
        except group_attach.AttachRefused as exc:
            form.add_error(None, str(exc))
        else:
            if group_attach.outbox.deferred(group_attach.JOB, row.pk):
                messages.warning(request, SAVED_NOT_SENT)
            else:
                messages.success(request, "The requirement group is being applied at Telnyx.")
            return redirect(order)
    context = {
        "order": order,
        "sub": sub,
        "form": form,
        "has_groups": bool(links),
        "attachments": sub.group_attachments.select_related("number", "requested_by")[:20],
    }
    return render(request, "orders/use_group.html", context)
