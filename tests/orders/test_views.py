"""Order screens: access, selection across navigation, detail, cancel confirmation."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from orders.models import NumberStatusChange
from orders.views.search import LAST_RESULTS_KEY

from .factories import NumberOrderFactory, OrderedNumberFactory, SubNumberOrderFactory

pytestmark = pytest.mark.django_db


def test_an_unknown_order_id_is_404_not_500(alice_client):
    assert alice_client.get(reverse("orders:detail", args=[uuid.uuid4()])).status_code == 404


def test_order_urls_use_uuids_not_primary_keys(alice_client):
    order = NumberOrderFactory()
    assert str(order.public_id) in order.get_absolute_url()
    assert alice_client.get(f"/orders/{order.pk}/").status_code == 404


def test_the_detail_page_shows_sub_orders_numbers_deadlines_and_timeline(alice_client):
    number = OrderedNumberFactory(
        sub_order=SubNumberOrderFactory(country_code="DE", phone_number_type="mobile"),
        requirements_status="requirement-info-exception",
    )
    NumberStatusChange.objects.create(
        number=number, field="requirements_status", old_value="requirement-info-under-review",
        new_value="requirement-info-exception", source="sync",
    )  # fmt: skip
    html = alice_client.get(number.number_order.get_absolute_url()).content.decode()
    assert "DE · mobile" in html
    assert number.phone_number in html
    assert "Rejected, fix needed" in html
    assert "Timeline" in html and "Under review" in html


def test_a_picked_number_stays_in_the_selection_across_pages(alice_client):
    session = alice_client.session
    session[LAST_RESULTS_KEY] = {
        "+15550001111": {
            "phone_number": "+15550001111",
            "country_code": "US",
            "phone_number_type": "local",
            "upfront_cost": "1.00",
            "monthly_cost": "1.00",
            "currency": "USD",
        }
    }
    session.save()
    alice_client.post(reverse("orders:selection-add"), {"phone_number": ["+15550001111", "+19999"]})
    alice_client.get(reverse("orders:list"))
    html = alice_client.get(reverse("orders:search")).content.decode()
    assert "+15550001111" in html and "+19999" not in html


def test_cancelling_needs_a_reason_and_an_explicit_confirmation(maria_client):
    sub = SubNumberOrderFactory(status="pending")
    url = reverse("orders:sub-order-cancel", args=[sub.number_order.public_id, sub.public_id])
    page = maria_client.get(url)
    assert page.status_code == 200 and "cannot be undone" in page.content.decode()
    response = maria_client.post(url, {"reason": "wrong city"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    sub.refresh_from_db()
    assert sub.status == "pending" and not sub.cancel_reason


def test_staff_without_the_cancel_permission_cannot_cancel(alice_client):
    sub = SubNumberOrderFactory(status="pending")
    url = reverse("orders:sub-order-cancel", args=[sub.number_order.public_id, sub.public_id])
    assert alice_client.post(url, {"reason": "x", "confirm": "on"}).status_code == 403


def test_a_sub_order_of_another_order_is_404(maria_client):
    sub = SubNumberOrderFactory()
    other = NumberOrderFactory()
    url = reverse("orders:sub-order-cancel", args=[other.public_id, sub.public_id])
    assert maria_client.get(url).status_code == 404
