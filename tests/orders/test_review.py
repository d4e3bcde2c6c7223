"""Review page extras: the 30-minute reservation (with extend) and putting numbers back."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from orders.models import NumberOrder, NumberReservation, PlacingState
from orders.selection import Selection

from .conftest import pick_numbers, review_intent

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_selection_can_be_reserved_for_30_minutes_and_extended(sandbox, alice_client):
    picked = pick_numbers(
        alice_client, 2, country_code="US", phone_number_type="local", reservable="true"
    )
    response = alice_client.post(reverse("orders:reserve"), headers={"HX-Request": "true"})
    html = response.content.decode()
    reservation = NumberReservation.objects.get()
    assert response.status_code == 200 and "Held until" in html and "<html" not in html
    assert {n["phone_number"] for n in reservation.phone_numbers} == set(picked)
    first_expiry = reservation.expires_at
    assert first_expiry is not None
    sandbox.advance(600)
    alice_client.post(
        reverse("orders:reservation-extend", args=[reservation.public_id]),
        headers={"HX-Request": "true"},
    )
    reservation.refresh_from_db()
    assert reservation.expires_at > first_expiry
    # Placing the order remembers the reservation it used.
    intent = review_intent(alice_client)
    alice_client.post(reverse("orders:review"), {"intent": intent})
    assert NumberOrder.objects.get(customer_reference=intent).reservation == reservation


def test_a_reservation_telnyx_refused_says_so_and_offers_no_extension(sandbox, alice_client):
    picked = pick_numbers(
        alice_client, 2, country_code="US", phone_number_type="local", reservable="true"
    )
    # Someone else on the account holds them first.
    held = sandbox.http.post(
        "/number_reservations", json={"phone_numbers": [{"phone_number": p} for p in picked]}
    )
    assert held.status_code == 200, held.text
    response = alice_client.post(reverse("orders:reserve"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert NumberReservation.objects.get().expires_at is None
    assert "Telnyx did not hold these numbers" in html
    assert "Held until" not in html and "Extend by 30 minutes" not in html
    assert "Try to reserve again" in html


def test_someone_elses_reservation_cannot_be_extended(sandbox, alice, maria_client):
    reservation = NumberReservation.objects.create(telnyx_id=str(uuid.uuid4()), created_by=alice)
    url = reverse("orders:reservation-extend", args=[reservation.public_id])
    assert maria_client.post(url).status_code == 404


def test_a_failed_orders_other_numbers_go_back_into_the_selection(alice, alice_client):
    order = NumberOrder.objects.create(
        customer_reference=str(uuid.uuid4()),
        placed_by=alice,
        placing_state=PlacingState.FAILED,
        requested_numbers=[
            {"phone_number": "+15550000001", "country_code": "US", "phone_number_type": "local"},
            {"phone_number": "+15550000002", "country_code": "US", "phone_number_type": "local"},
        ],
        placing_errors=[
            {"phone_number": "+15550000002", "code": "85000", "title": "x", "detail": ""}
        ],
    )
    response = alice_client.post(reverse("orders:reselect", args=[order.public_id]))
    assert response.status_code == 302
    assert Selection(alice_client.session).phone_numbers() == ["+15550000001"]


def test_outsiders_cannot_open_any_orders_screen(olga_client):
    order = NumberOrder.objects.create(customer_reference=str(uuid.uuid4()))
    for url in (
        reverse("orders:search"),
        reverse("orders:review"),
        reverse("orders:bulk-new"),
        order.get_absolute_url(),
    ):
        assert olga_client.get(url).status_code == 403, url
