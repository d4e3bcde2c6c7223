"""The orders list: filters, sort, counts, and a query count that ignores the data size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.listing import Filters, filtered, state_counts
from orders.models import NumberOrder, PlacingState, SubNumberOrder

from .factories import (
    NumberOrderFactory,
    OrderedNumberFactory,
    SubNumberOrderFactory,
    bulk_open_orders,
)

pytestmark = pytest.mark.django_db


def make_orders(n: int, user=None) -> None:
    for i in range(n):
        sub = SubNumberOrderFactory(
            number_order=NumberOrderFactory(placed_by=user, status="pending"),
            country_code="DE" if i % 2 else "US",
        )
        OrderedNumberFactory(sub_order=sub)


def list_queries(client, params: str = "") -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("orders:list") + params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_list_page_makes_the_same_number_of_queries_for_5_and_60_orders(alice, alice_client):
    make_orders(5, alice)
    list_queries(alice_client)  # the first request of a session does one-off session work
    small = list_queries(alice_client, "?country_code=DE&sort=deadline")
    make_orders(55, alice)
    large = list_queries(alice_client, "?country_code=DE&sort=deadline")
    assert small == large


def test_the_list_costs_the_same_queries_for_20_and_600_orders_of_several_people(
    alice, maria, alice_client
):
    """Fewer orders than a page, then many pages, placed by two people, sub orders owned:
    a query per row (placer, owner, sub orders) or per placer would show."""
    alice_client.get(reverse("orders:list"))  # the session's first request does its own work
    counts = []
    for size in (20, 580):
        bulk_open_orders(size)
        NumberOrder.objects.filter(pk__in=NumberOrder.objects.order_by("?")[: size // 2]).update(
            placed_by=maria
        )
        NumberOrder.objects.filter(placed_by=None).update(placed_by=alice)
        SubNumberOrder.objects.update(assignee=alice)
        counts.append(list_queries(alice_client))
    assert counts[0] == counts[1], counts
    html = alice_client.get(reverse("orders:list")).content.decode()
    assert html.count('<td class="num">') == 50
    assert "Page 1 of 12 (600 orders)" in " ".join(html.split())
    assert f'<option value="{maria.pk}">maria</option>' in html  # "Placed by" choices


def test_filters_by_country_requirements_deadline_and_needs_action():
    soon = timezone.now() + timedelta(days=2)
    later = timezone.now() + timedelta(days=20)
    de = SubNumberOrderFactory(country_code="DE", phone_number_type="mobile")
    OrderedNumberFactory(sub_order=de, requirements_status="requirement-info-exception")
    NumberOrder.objects.filter(pk=de.number_order_id).update(next_deadline=soon, needs_action=True)
    us = SubNumberOrderFactory(country_code="US")
    OrderedNumberFactory(sub_order=us, requirements_status="approved")
    NumberOrder.objects.filter(pk=us.number_order_id).update(next_deadline=later)

    def ids(**kw):
        return [o.pk for o in filtered(NumberOrder.objects.all(), Filters(**kw))]

    assert ids(country_code="DE") == [de.number_order_id]
    assert ids(phone_number_type="mobile") == [de.number_order_id]
    assert ids(requirements_status="approved") == [us.number_order_id]
    assert ids(deadline_within_days=7) == [de.number_order_id]
    assert ids(needs_action=True) == [de.number_order_id]
    assert ids(sort="deadline") == [de.number_order_id, us.number_order_id]
    assert ids(sort="-deadline") == [us.number_order_id, de.number_order_id]


def test_counts_per_state_cover_telnyx_and_placing_states():
    NumberOrderFactory(status="pending")
    NumberOrderFactory(status="success")
    NumberOrderFactory(status="", telnyx_id=None, placing_state=PlacingState.AWAITING_APPROVAL)
    NumberOrderFactory(status="", telnyx_id=None, placing_state=PlacingState.FAILED)
    counts = state_counts(NumberOrder.objects.all())
    assert counts["total"] == 4
    assert counts["pending"] == counts["success"] == 1
    assert counts["awaiting_approval"] == counts["failed"] == 1


def test_the_list_shows_counts_and_paginates(alice, alice_client, settings):
    settings.ORDERS_LIST_PAGE_SIZE = 10
    make_orders(12, alice)
    page1 = alice_client.get(reverse("orders:list")).content.decode()
    page2 = alice_client.get(reverse("orders:list") + "?page=2").content.decode()
    assert "Page 1 of 2 (12 orders)" in page1
    assert "Page 2 of 2" in page2
    assert page1.count("<tr>") + page1.count('<tr class="needs-action">') == 11  # header + 10


def test_htmx_filtering_returns_only_the_table_fragment(alice, alice_client):
    make_orders(2, alice)
    response = alice_client.get(
        reverse("orders:list") + "?status=pending", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<table" in html and "<html" not in html
    assert response["Vary"].lower().count("hx-request") == 1


def test_someone_without_the_orders_permission_gets_403(olga_client):
    assert olga_client.get(reverse("orders:list")).status_code == 403


@pytest.mark.parametrize("value", ["9" * 23, str(2**63), "-1", "0"])
def test_p53_a_placed_by_outside_the_key_range_is_a_form_error_not_a_500(
    alice, alice_client, value
):
    make_orders(2, alice)
    response = alice_client.get(reverse("orders:list"), {"placed_by": value})
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    assert response.context["page"].paginator.count == 2  # the bad filter is not applied
