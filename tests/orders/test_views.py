"""Order screens: access, selection across navigation, detail, cancel confirmation."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from orders.models import NumberStatusChange, SubNumberOrder
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


def test_staff_cannot_cancel_a_sub_order_of_an_order_someone_else_placed(maria, alice_client):
    sub = SubNumberOrderFactory(status="pending", number_order__placed_by=maria)
    url = reverse("orders:sub-order-cancel", args=[sub.number_order.public_id, sub.public_id])
    assert alice_client.post(url, {"reason": "x", "confirm": "on"}).status_code == 403
    page = alice_client.get(sub.number_order.get_absolute_url()).content.decode()
    assert "Cancel this sub order" not in page


def test_staff_see_the_cancel_button_on_their_own_pending_sub_orders_only(alice, alice_client):
    mine = SubNumberOrderFactory(status="pending", number_order__placed_by=alice)
    url = reverse("orders:sub-order-cancel", args=[mine.number_order.public_id, mine.public_id])
    page = alice_client.get(mine.number_order.get_absolute_url()).content.decode()
    assert url in page
    assert alice_client.get(url).status_code == 200
    # A reason is still required; nothing is sent without it.
    response = alice_client.post(url, {"confirm": "on"})
    assert "This field is required" in response.content.decode()
    SubNumberOrder.objects.filter(pk=mine.pk).update(status="success")
    assert url not in alice_client.get(mine.number_order.get_absolute_url()).content.decode()


def test_statuses_roll_up_truthfully_after_a_cancellation(alice_client):
    order = NumberOrderFactory(status="success", phone_numbers_count=2)
    cancelled = SubNumberOrderFactory(number_order=order, status="cancelled", country_code="DE")
    done = SubNumberOrderFactory(number_order=order, status="success", country_code="FR")
    OrderedNumberFactory(sub_order=cancelled, status="failure", phone_number="+493011111")
    html = alice_client.get(order.get_absolute_url()).content.decode()
    assert 'id="order-status"><span class="badge badge-warn"' in html
    assert "Partly cancelled" in html
    row = html[html.index("+493011111") :].split("</tr>", 1)[0]
    assert "Cancelled" in row and "Failure" not in row
    listing = alice_client.get(reverse("orders:list")).content.decode()
    assert "Partly cancelled" in listing
    SubNumberOrder.objects.filter(pk=done.pk).update(status="cancelled")
    html = alice_client.get(order.get_absolute_url()).content.decode()
    assert "Partly cancelled" not in html
    assert 'id="order-status"><span class="badge badge-muted"' in html


def test_orders_are_titled_by_a_short_reference_with_countries_and_count(alice_client):
    order = NumberOrderFactory(
        phone_numbers_count=3,
        requested_numbers=[{"country_code": "DE"}, {"country_code": "FR"}, {"country_code": "DE"}],
    )
    reference = f"ORD-{order.pk:04d}"
    html = alice_client.get(order.get_absolute_url()).content.decode()
    assert f"<title>Order {reference} · DE, FR · 3 numbers" in html
    assert f"<h1>Order {reference} <small>DE, FR · 3 numbers</small></h1>" in html
    listing = alice_client.get(reverse("orders:list")).content.decode()
    assert f">{reference}</a>" in listing


def test_a_sub_order_of_another_order_is_404(maria_client):
    sub = SubNumberOrderFactory()
    other = NumberOrderFactory()
    url = reverse("orders:sub-order-cancel", args=[other.public_id, sub.public_id])
    assert maria_client.get(url).status_code == 404
