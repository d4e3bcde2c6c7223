"""Order screens: access, selection across navigation, detail, cancel confirmation."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import (
    NumberOrder,
    NumberStatusChange,
    OrderedNumber,
    SubNumberOrder,
    SubOrderComment,
)
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


def add_sub_orders(order: NumberOrder, count: int, numbers_each: int, cancelled_by) -> None:
    """``count`` sub orders of ``numbers_each`` numbers, every other one cancelled by a user,
    each with an admin comment and a history row per number (bulk inserts)."""
    subs = SubNumberOrder.objects.bulk_create(
        SubNumberOrder(
            telnyx_id=str(uuid.uuid4()),
            number_order=order,
            country_code="DE",
            phone_number_type="local",
            status="cancelled" if i % 2 else "pending",
            cancelled_by=cancelled_by if i % 2 else None,
            cancel_reason="Wrong city" if i % 2 else "",
            assignee=cancelled_by,
        )
        for i in range(count)
    )
    numbers = OrderedNumber.objects.bulk_create(
        OrderedNumber(
            telnyx_id=str(uuid.uuid4()),
            sub_order=sub,
            number_order=order,
            phone_number=f"+4930{uuid.uuid4().int % 10**9:09d}",
            status="pending",
            deadline=timezone.now(),
        )
        for sub in subs
        for _ in range(numbers_each)
    )
    SubOrderComment.objects.bulk_create(
        SubOrderComment(
            telnyx_id=str(uuid.uuid4()), sub_order=sub, body="Declined", commenter_type="admin"
        )
        for sub in subs
    )
    NumberStatusChange.objects.bulk_create(
        NumberStatusChange(number=n, field="status", new_value="success", source="sync")
        for n in numbers
    )


def test_the_detail_page_costs_the_same_queries_for_2_and_30_sub_orders(maria, maria_client):
    """Sub orders, numbers, comments, owners, who cancelled and the timeline: no per-row query."""
    order = NumberOrderFactory(placed_by=maria, telnyx_id=str(uuid.uuid4()))
    maria_client.get(order.get_absolute_url())  # the session's first request does its own work
    counts = []
    for sub_orders in (2, 28):
        add_sub_orders(order, sub_orders, 5, cancelled_by=maria)
        with CaptureQueriesContext(connection) as queries:
            response = maria_client.get(order.get_absolute_url())
        assert response.status_code == 200
        counts.append(len(queries))
    html = response.content.decode()
    assert html.count('class="sub-order"') == 30
    assert html.count("Cancelled by maria") == 15
    assert counts[0] == counts[1], counts


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


def test_an_open_order_relying_on_a_group_that_became_unusable_is_flagged(alice, alice_client):
    """Issue 11: a group that expired or is no longer eligible flags the orders using it."""
    from compliance.models import RequirementGroupLink
    from orders.models import GroupAttachment

    ordered_with = RequirementGroupLink.objects.create(
        country_code="CH", phone_number_type="local", telnyx_id="grp-ch", status="approved"
    )
    attached = RequirementGroupLink.objects.create(
        country_code="DK", phone_number_type="local", telnyx_id="grp-dk", status="approved"
    )
    sub = SubNumberOrderFactory(
        country_code="CH",
        number_order__placed_by=alice,
        number_order__requested_numbers=[
            {"phone_number": "+41440000000", "requirement_group_id": "grp-ch"}
        ],
    )
    GroupAttachment.objects.create(
        group=attached, group_telnyx_id="grp-dk", sub_order=sub, state="done", requested_by=alice
    )
    url = reverse("orders:detail", args=[sub.number_order.public_id])
    assert "data-unusable-groups" not in alice_client.get(url).content.decode()

    RequirementGroupLink.objects.filter(pk=ordered_with.pk).update(status="no-longer-eligible")
    RequirementGroupLink.objects.filter(pk=attached.pk).update(status="expired")
    html = alice_client.get(url).content.decode()
    assert "The CH local requirement group these numbers rely on is no longer eligible" in html
    assert "The DK local requirement group these numbers rely on has expired" in html

    # A finished order needs nothing more: no flag.
    NumberOrder.objects.filter(pk=sub.number_order.pk).update(status="success")
    assert "data-unusable-groups" not in alice_client.get(url).content.decode()
