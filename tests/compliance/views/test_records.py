"""The submissions list with decisions, the managers' audit trail, and their CSV exports:
filtered, no values or document contents, audited, scoped (P34, P35, P51)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import AuditEntry, Submission
from compliance.views import records
from orders.models import NumberOrder
from portal import audit
from tests.orders.factories import NumberOrderFactory, SubNumberOrderFactory

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content[:300]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.fixture
def submissions(alice, maria):
    de = SubNumberOrderFactory(country_code="DE", number_order=NumberOrderFactory(placed_by=alice))
    us = SubNumberOrderFactory(country_code="US", number_order=NumberOrderFactory(placed_by=maria))
    rejected = Submission.objects.create(
        sub_order=de,
        values={"r1": {"type": "textual", "value": "Secret Canary Name"}},
        submitted_by=alice,
        status=Submission.Status.REJECTED,
        decided_by=maria,
        decided_at=timezone.now(),
        decision_reason="Der Nachweis fehlt: Ausweis unleserlich",
    )
    sent = Submission.objects.create(
        sub_order=us,
        values={"r1": {"type": "textual", "value": "Other Canary"}},
        submitted_by=maria,
        status=Submission.Status.SUBMITTED,
    )
    Submission.objects.filter(pk=sent.pk).update(created_at=timezone.now() - timedelta(days=30))
    return rejected, sent


def test_the_submissions_export_holds_decisions_but_no_values(submissions, alice_client):
    rejected, _ = submissions
    response = alice_client.get(reverse("compliance:submissions-export") + "?status=rejected")
    rows = csv_rows(response)
    assert len(rows) == 1
    row = rows[0]
    assert row["Submission id"] == str(rejected.public_id)
    assert row["Status"] == "Rejected by a manager"
    assert (row["Submitted by"], row["Decided by"]) == ("alice", "maria")
    assert row["Decision reason"] == "Der Nachweis fehlt: Ausweis unleserlich"
    assert row["For number"] == "whole sub order"
    assert row["Country"] == "DE"
    all_text = b"".join(
        alice_client.get(reverse("compliance:submissions-export")).streaming_content
    ).decode("utf-8-sig")
    assert "Canary" not in all_text


def test_each_submission_filter(submissions, alice, maria, alice_client):
    rejected, sent = submissions
    recent = (timezone.now() - timedelta(days=1)).date()

    def ids(query):
        response = alice_client.get(reverse("compliance:submissions") + query)
        assert response.status_code == 200
        return {s.pk for s in response.context["page"]}

    assert ids("?status=submitted") == {sent.pk}
    assert ids("?country_code=DE") == {rejected.pk}
    assert ids("?phone_number_type=mobile") == set()
    assert ids(f"?submitted_by={maria.pk}") == {sent.pk}
    assert ids(f"?decided_by={maria.pk}") == {rejected.pk}
    assert ids(f"?placed_by={alice.pk}") == {rejected.pk}
    assert ids(f"?created_after={recent}") == {rejected.pk}
    assert ids("") == {rejected.pk, sent.pk}


def test_bad_submission_filters_are_4xx_for_the_export(alice_client):
    for query in ("?status=nope", "?submitted_by=x", "?created_before=31.02.2026"):
        assert alice_client.get(reverse("compliance:submissions") + query).status_code == 200
        response = alice_client.get(reverse("compliance:submissions-export") + query)
        assert response.status_code == 400, query


def test_p34_submissions_go_through_the_orders_access_helper(
    submissions, alice, alice_client, olga_client, monkeypatch
):
    assert olga_client.get(reverse("compliance:submissions-export")).status_code == 404
    monkeypatch.setattr(
        records, "visible_orders", lambda user: NumberOrder.objects.filter(placed_by=user)
    )
    rows = csv_rows(alice_client.get(reverse("compliance:submissions-export")))
    assert [r["Submitted by"] for r in rows] == ["alice"]


def test_managers_export_the_audit_trail_filtered_and_the_export_is_in_it(
    maria, maria_client, alice
):
    audit.record(alice, "order.placed", None, None, count=3)
    audit.record(alice, "submission.created", None, None)
    audit.record(maria, "order.approved", None, None)
    rows = csv_rows(
        maria_client.get(reverse("compliance:audit-export") + f"?action=order.&actor={alice.pk}")
    )
    assert [(r["Who"], r["Action"], r["Details"]) for r in rows] == [
        ("alice", "order.placed", '{"count": 3}')
    ]
    export = AuditEntry.objects.get(action="export.audit")
    assert export.actor_label == "maria"
    assert export.details == {"filters": f"action=order.&actor={alice.pk}"}
    page = maria_client.get(reverse("compliance:audit") + "?action=export")
    assert [e.action for e in page.context["page"]] == ["export.audit"]


def test_p35_staff_cannot_read_or_export_the_audit_trail(alice_client):
    assert alice_client.get(reverse("compliance:audit")).status_code == 403
    assert alice_client.get(reverse("compliance:audit-export")).status_code == 403
