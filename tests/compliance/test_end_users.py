"""End-user names in order titles and the orders list (issue 10): from the latest submitted
values, decrypted for a page at once (a fixed number of queries); nothing when none is known."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.end_users import names_for_orders
from compliance.models import RequirementType, Submission
from orders.models import NumberOrder, SubNumberOrder

pytestmark = pytest.mark.django_db

NAME = str(uuid.UUID(int=3))  # the textual requirement of the ``sub_order`` fixture


@pytest.fixture(autouse=True)
def catalogue(db):
    RequirementType.objects.create(telnyx_id=NAME, name="End user name", field_type="textual")


def submit_name(sub_order, name: str, **extra) -> Submission:
    return Submission.objects.create(
        sub_order=sub_order, values={NAME: {"type": "textual", "value": name}}, **extra
    )


def another_order(name: str | None = None) -> NumberOrder:
    order = NumberOrder.objects.create(
        telnyx_id=str(uuid.uuid4()), customer_reference=str(uuid.uuid4()), status="pending"
    )
    sub = SubNumberOrder.objects.create(
        telnyx_id=str(uuid.uuid4()), number_order=order, country_code="DE", status="pending"
    )
    if name:
        submit_name(sub, name)
    return order


def test_the_order_page_and_the_list_name_the_end_user_when_known(sub_order, alice_client):
    submit_name(sub_order, "Old Name GmbH")
    submit_name(sub_order, "Acme  Widgets GmbH")  # the latest counts
    unnamed = another_order()
    order = sub_order.number_order
    detail = alice_client.get(order.get_absolute_url()).content.decode()
    assert f"Order {order.reference} · <span data-end-user>Acme Widgets GmbH</span>" in detail
    assert "Old Name" not in detail
    title = detail.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "Acme" not in title  # browser history keeps titles
    listing = alice_client.get(reverse("orders:list")).content.decode()
    assert "<span data-end-user>Acme Widgets GmbH</span>" in listing
    bare = alice_client.get(unnamed.get_absolute_url()).content.decode()
    assert "data-end-user" not in bare and f"Order {unnamed.reference} <small>" in bare


def test_a_purged_submission_names_nobody(sub_order):
    submit_name(sub_order, "Gone GmbH", purged_at=timezone.now())
    assert names_for_orders([sub_order.number_order_id]) == {}


def test_the_list_costs_the_same_queries_with_5_or_40_named_orders(alice_client):
    alice_client.get(reverse("orders:list"))
    counts = []
    for size in (5, 35):
        for i in range(size):
            another_order(f"Customer {i}")
        with CaptureQueriesContext(connection) as queries:
            html = alice_client.get(reverse("orders:list")).content.decode()
        assert "data-end-user" in html
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
