"""CSV exports of the orders and numbers lists: the filtered rows, spreadsheet-safe, audited,
scoped like the lists (P34)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from compliance.models import AuditEntry
from orders.models import NumberOrder
from orders.views import order_list

from .factories import NumberOrderFactory, OrderedNumberFactory, SubNumberOrderFactory

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def de_and_us(alice, maria):
    de = SubNumberOrderFactory(
        country_code="DE",
        number_order=NumberOrderFactory(placed_by=alice, customer_reference="=cmd|' /C calc'!A0"),
    )
    SubNumberOrderFactory(
        country_code="DE", phone_number_type="mobile", number_order=de.number_order
    )
    OrderedNumberFactory(sub_order=de, phone_number="+49301234567", country_code="DE")
    us = SubNumberOrderFactory(country_code="US", number_order=NumberOrderFactory(placed_by=maria))
    OrderedNumberFactory(sub_order=us, phone_number="+13125550100", requirements_status="approved")
    return de.number_order, us.number_order


def test_the_orders_export_holds_the_filtered_orders(alice, maria, alice_client):
    de, _ = de_and_us(alice, maria)
    rows = csv_rows(alice_client.get(reverse("orders:export") + "?country_code=DE"))
    assert len(rows) == 1
    row = rows[0]
    assert row["Telnyx order id"] == de.telnyx_id
    assert row["Our reference"] == "'=cmd|' /C calc'!A0"  # a formula is neutralised
    assert row["Sub orders (country type)"] == "DE local; DE mobile"
    assert row["Placed by"] == "alice"
    assert len(csv_rows(alice_client.get(reverse("orders:export")))) == 2


def test_the_numbers_export_holds_statuses_and_deadlines(alice, maria, alice_client):
    de_and_us(alice, maria)
    rows = csv_rows(
        alice_client.get(reverse("orders:numbers-export") + "?requirements_status=approved")
    )
    assert [(r["Phone number"], r["Vetting"], r["Placed by"]) for r in rows] == [
        ("'+13125550100", "approved", "maria")
    ]
    assert set(rows[0]) >= {"Status", "Deadline", "Telnyx sub order id", "Country", "Type"}


def test_every_export_is_audited_with_its_filters(alice, maria, alice_client):
    de_and_us(alice, maria)
    b"".join(alice_client.get(reverse("orders:export") + "?country_code=DE").streaming_content)
    b"".join(alice_client.get(reverse("orders:numbers-export")).streaming_content)
    entries = list(AuditEntry.objects.filter(action__startswith="export.").order_by("pk"))
    assert [(e.action, e.actor_label, e.details) for e in entries] == [
        ("export.orders", "alice", {"filters": "country_code=DE"}),
        ("export.numbers", "alice", {"filters": ""}),
    ]


def test_a_bad_filter_exports_nothing_and_records_nothing(alice_client):
    response = alice_client.get(reverse("orders:export") + "?deadline_within_days=x")
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action__startswith="export.").exists()


def test_p34_an_outsider_exports_nothing(olga_client):
    NumberOrderFactory()
    for name in ("orders:export", "orders:numbers-export"):
        assert olga_client.get(reverse(name)).status_code == 403


def test_p34_exports_go_through_the_orders_access_helper(alice, maria, alice_client, monkeypatch):
    """Were orders scoped per person, another staff member's orders and numbers would not be
    exported: the export asks the same helper the list asks (replaced by an owner-scoped one)."""
    de_and_us(alice, maria)
    monkeypatch.setattr(
        order_list, "visible_orders", lambda user: NumberOrder.objects.filter(placed_by=user)
    )
    orders = csv_rows(alice_client.get(reverse("orders:export")))
    numbers = csv_rows(alice_client.get(reverse("orders:numbers-export")))
    assert {r["Placed by"] for r in orders} == {"alice"}
    assert [r["Phone number"] for r in numbers] == ["'+49301234567"]


def test_order_rows_are_read_a_chunk_at_a_time(monkeypatch):
    """Memory stays flat because rows are read and written a chunk at a time (the 50,000-row
    figure is in bench/exports.py): the first row is out before the second chunk is read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders import exports

    monkeypatch.setattr(exports, "CHUNK", 10)
    for _ in range(25):
        SubNumberOrderFactory()
    with CaptureQueriesContext(connection) as queries:
        rows = exports.order_rows(NumberOrder.objects.order_by("pk"))
        next(rows)
        sub_queries_first = sum("orders_subnumberorder" in q["sql"] for q in queries)
        rest = list(rows)
    assert len(rest) == 24
    assert sub_queries_first == 1
    assert sum("orders_subnumberorder" in q["sql"] for q in queries) == 3
