"""Filters of the orders and numbers lists: each filter, in the query string, bad values as
form errors (never a 500)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.filters import NumberFilter, OrderFilter
from orders.models import NumberOrder, OrderedNumber, PlacingState

from .factories import NumberOrderFactory, OrderedNumberFactory, SubNumberOrderFactory

pytestmark = pytest.mark.django_db


def order_ids(**params):
    f = OrderFilter({k: str(v) for k, v in params.items()}, queryset=NumberOrder.objects.all())
    assert f.is_valid(), f.errors
    return {o.pk for o in f.qs}


def number_ids(**params):
    f = NumberFilter({k: str(v) for k, v in params.items()}, queryset=OrderedNumber.objects.all())
    assert f.is_valid(), f.errors
    return {n.pk for n in f.qs}


@pytest.fixture
def two_orders(alice, maria):
    now = timezone.now()
    de = SubNumberOrderFactory(
        country_code="DE",
        phone_number_type="mobile",
        number_order=NumberOrderFactory(placed_by=alice, status="pending"),
    )
    de_number = OrderedNumberFactory(
        sub_order=de,
        country_code="DE",
        phone_number_type="mobile",
        status="pending",
        requirements_status="requirement-info-exception",
        deadline=now + timedelta(days=2),
    )
    us = SubNumberOrderFactory(
        country_code="US",
        phone_number_type="local",
        number_order=NumberOrderFactory(placed_by=maria, status="success"),
    )
    us_number = OrderedNumberFactory(
        sub_order=us,
        country_code="US",
        status="success",
        requirements_status="approved",
        deadline=now + timedelta(days=20),
    )
    NumberOrder.objects.filter(pk=de.number_order_id).update(
        next_deadline=now + timedelta(days=2),
        needs_action=True,
        created_at=now - timedelta(days=40),
    )
    NumberOrder.objects.filter(pk=us.number_order_id).update(next_deadline=now + timedelta(days=20))
    OrderedNumber.objects.filter(pk=de_number.pk).update(created_at=now - timedelta(days=40))
    return de.number_order_id, us.number_order_id, de_number.pk, us_number.pk


def test_each_order_filter(two_orders, alice, maria):
    de, us, _, _ = two_orders
    old = (timezone.now() - timedelta(days=41)).date()
    recent = (timezone.now() - timedelta(days=1)).date()
    assert order_ids(status="pending") == {de}
    assert order_ids(status="needs_action") == {de}
    assert order_ids(requirements_status="approved") == {us}
    assert order_ids(country_code="DE") == {de}
    assert order_ids(phone_number_type="local") == {us}
    assert order_ids(country_code="DE", phone_number_type="local") == set()
    assert order_ids(deadline_within_days=7) == {de}
    assert order_ids(placed_by=maria.pk) == {us}
    assert order_ids(created_after=old, created_before=old + timedelta(days=2)) == {de}
    assert order_ids(created_after=recent) == {us}
    assert order_ids(needs_action="true") == {de}
    assert order_ids() == {de, us}


def test_placing_states_are_statuses_too():
    waiting = NumberOrderFactory(
        telnyx_id=None, status="", placing_state=PlacingState.AWAITING_APPROVAL
    )
    NumberOrderFactory(status="pending")
    assert order_ids(status="awaiting_approval") == {waiting.pk}


def test_each_number_filter(two_orders, maria):
    _, _, de, us = two_orders
    old = (timezone.now() - timedelta(days=41)).date()
    assert number_ids(status="success") == {us}
    assert number_ids(requirements_status="requirement-info-exception") == {de}
    assert number_ids(country_code="US") == {us}
    assert number_ids(phone_number_type="mobile") == {de}
    assert number_ids(deadline_within_days=7) == {de}
    assert number_ids(placed_by=maria.pk) == {us}
    assert number_ids(created_before=old + timedelta(days=2)) == {de}


@pytest.mark.parametrize(
    "query",
    [
        "?country_code=XX",
        "?deadline_within_days=99999999999999999999",
        "?deadline_within_days=-1",
        "?placed_by=abc",
        "?placed_by=99999999",
        "?created_after=2026-13-45",
        "?status=%00",
        "?sort=drop",
    ],
)
def test_bad_filter_values_are_form_errors_not_5xx(alice_client, query):
    for name in ("orders:list", "orders:numbers"):
        response = alice_client.get(reverse(name) + query)
        assert response.status_code == 200, (name, query)
        assert b"field-error" in response.content or name == "orders:numbers", (name, query)
    for name in ("orders:export", "orders:numbers-export"):
        response = alice_client.get(reverse(name) + query)
        if response.status_code == 400:
            assert b"nothing was exported" in response.content
        else:  # a parameter the list does not have is ignored, as on the page
            assert response.status_code == 200 and name == "orders:numbers-export", (name, query)


def test_a_filtered_list_is_a_bookmarkable_url(two_orders, alice_client):
    de, _, _, _ = two_orders
    response = alice_client.get(reverse("orders:list") + "?country_code=DE&status=pending")
    assert response.status_code == 200
    assert [o.pk for o in response.context["page"]] == [de]
    assert response.context["query"] == "country_code=DE&status=pending"
    assert b'href="/orders/export.csv?country_code=DE&amp;status=pending"' in response.content


def test_the_numbers_list_shows_numbers_with_their_vetting_state(two_orders, alice_client):
    response = alice_client.get(reverse("orders:numbers") + "?country_code=DE")
    assert response.status_code == 200
    numbers = list(response.context["page"])
    assert [n.country_code for n in numbers] == ["DE"]
    assert numbers[0].phone_number.encode() in response.content
