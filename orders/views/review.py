"""Review and place: the selection grouped as Telnyx will split it, costs, requirements,
an optional reservation, and the Place order form (whose hidden intent id makes it one-shot)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from compliance.views.privacy import pii_page
from orders import group_needs
from orders import review as review_logic
from orders.forms import PlaceOrderForm
from orders.intents import SAVED_NOT_SENT
from orders.models import NumberReservation
from orders.placing import OrderOptions, PlacingRefused, create_intent, waiting_for_broker
from orders.selection import Selection
from portal.htmx import HtmxHttpRequest
from portal.ids import parse_uuid, uuid_or_404
from portal.telnyx.errors import TelnyxError

PERM = "orders.place_numberorder"
RESERVATION_KEY = "orders.reservation"


def _current_reservation(request: HtmxHttpRequest) -> NumberReservation | None:
    public_id = request.session.get(RESERVATION_KEY)
    user = request.user
    if isinstance(user, AnonymousUser):
        return None
    parsed = parse_uuid(public_id)
    if parsed is None:
        return None
    return NumberReservation.objects.filter(public_id=parsed, created_by=user).first()


@login_required
@permission_required(PERM, raise_exception=True)
@pii_page  # the requirement groups offered are named after their profile (P51)
def review(request: HtmxHttpRequest) -> HttpResponse:
    selection = Selection(request.session)
    built = review_logic.build_review(selection) if len(selection) else None
    form = PlaceOrderForm(request.POST or None, groups=built.groups if built else ())
    if request.method == "POST" and form.is_valid():
        reservation = _current_reservation(request)
        chosen, held = form.group_plan()
        try:
            order, created = create_intent(
                request.user,
                str(form.cleaned_data["intent"]),
                selection,
                OrderOptions(
                    connection_id=form.cleaned_data["connection_id"],
                    messaging_profile_id=form.cleaned_data["messaging_profile_id"],
                    billing_group_id=form.cleaned_data["billing_group_id"],
                ),
                reservation_id=reservation.pk if reservation else None,
                request=request,
                groups=review_logic.group_ids(chosen),
                hold=held,
            )
        except PlacingRefused as exc:
            form.add_error(None, str(exc))
        else:
            if created:
                selection.remove(n["phone_number"] for n in order.requested_numbers)
                request.session.pop(RESERVATION_KEY, None)
                if waiting_for_broker(order):
                    messages.warning(request, SAVED_NOT_SENT)
                for group in built.groups if built else ():
                    if group.key in held:
                        messages.warning(
                            request,
                            f"{len(group.numbers)} number(s) stay in your selection: "
                            f"{group_needs.reason(group.country_code, group.phone_number_type)}.",
                        )
            url = order.get_absolute_url()
            if request.htmx:
                return HttpResponseClientRedirect(url)
            return redirect(url, permanent=False)
    context = {
        "review": built,
        "form": form,
        "selection": selection,
        "reservation": _current_reservation(request),
    }
    return render(request, "orders/review.html", context)


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def reserve(request: HtmxHttpRequest) -> HttpResponse:
    selection = Selection(request.session)
    if not len(selection):
        messages.error(request, "The selection is empty.")
        return _reservation_response(request, None)
    try:
        reservation = review_logic.reserve(request.user, selection, request=request)
    except TelnyxError as exc:
        messages.error(request, f"Telnyx did not reserve the numbers: {exc}")
        return _reservation_response(request, None)
    request.session[RESERVATION_KEY] = str(reservation.public_id)
    return _reservation_response(request, reservation)


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def reservation_extend(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    reservation = get_object_or_404(
        NumberReservation, public_id=uuid_or_404(public_id), created_by=request.user
    )
    try:
        reservation = review_logic.extend(request.user, reservation, request=request)
    except TelnyxError as exc:
        messages.error(request, f"Telnyx did not extend the reservation: {exc}")
    return _reservation_response(request, reservation)


def _reservation_response(
    request: HtmxHttpRequest, reservation: NumberReservation | None
) -> HttpResponse:
    if request.htmx:
        return render(request, "orders/review.html#reservation", {"reservation": reservation})
    return redirect("orders:review")
