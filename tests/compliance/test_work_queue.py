"""The work queue on the home page: sections, counts, order, filters, links, constant cost."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.models import RequirementType, Submission
from orders.models import (
    NumberOrder,
    OrderedNumber,
    PlacingState,
    SubNumberOrder,
    SubOrderComment,
)
from tests.orders.factories import bulk_open_orders

pytestmark = pytest.mark.django_db

ADDRESS = str(uuid.UUID(int=101))
DOCUMENT = str(uuid.UUID(int=102))


@pytest.fixture(autouse=True)
def catalogue(db):
    RequirementType.objects.create(telnyx_id=ADDRESS, name="Business address", field_type="address")
    RequirementType.objects.create(
        telnyx_id=DOCUMENT, name="Proof of address", field_type="document"
    )


def make_number(
    requirements_status: str = "requirement-info-pending",
    *,
    country: str = "DE",
    number_type: str = "local",
    deadline_hours: float | None = None,
    statuses: tuple[str, str] = ("awaiting-value", "awaiting-value"),
    sub_status: str = "pending",
    assignee=None,
) -> OrderedNumber:
    order = NumberOrder.objects.create(
        telnyx_id=str(uuid.uuid4()),
        customer_reference=str(uuid.uuid4()),
        status="pending",
        placing_state=PlacingState.PLACED,
        phone_numbers_count=1,
    )
    sub = SubNumberOrder.objects.create(
        telnyx_id=str(uuid.uuid4()),
        number_order=order,
        country_code=country,
        phone_number_type=number_type,
        status=sub_status,
        phone_numbers_count=1,
        assignee=assignee,
    )
    return OrderedNumber.objects.create(
        telnyx_id=str(uuid.uuid4()),
        sub_order=sub,
        number_order=order,
        phone_number=f"+4930{uuid.uuid4().int % 10**7:07d}",
        country_code=country,
        phone_number_type=number_type,
        status="pending",
        requirements_status=requirements_status,
        deadline=timezone.now() + timedelta(hours=deadline_hours) if deadline_hours else None,
        regulatory_requirements=[
            {"requirement_id": ADDRESS, "field_type": "address", "status": statuses[0]},
            {"requirement_id": DOCUMENT, "field_type": "document", "status": statuses[1]},
        ],
    )


def section(html: str, key: str) -> str:
    start = html.index(f'id="queue-{key}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_every_section_is_shown_and_an_empty_one_says_so_in_one_line(alice_client):
    html = alice_client.get(reverse("home")).content.decode()
    for key, empty in [
        ("rejected", "No rejected number."),
        ("needs-info", "No number is waiting for information."),
        ("due-soon", "No deadline in the next 72 hours."),
        ("approval", "Nothing waits for a manager."),
        ("at-telnyx", "Nothing is with Telnyx right now."),
        ("stuck", "Nothing is stuck."),
        ("done", "Nothing finished in the last 7 days."),
    ]:
        assert empty in section(html, key)
        assert 'data-count="0"' in section(html, key)


def test_a_rejection_shows_the_declined_requirement_latest_comment_age_and_new_deadline(
    alice_client,
):
    number = make_number(
        "requirement-info-exception", deadline_hours=100, statuses=("approved", "declined")
    )
    # Rejected three hours ago (the sync stamps it with the history row).
    number.requirements_status_changed_at = timezone.now() - timedelta(hours=3)
    number.save()
    for i, body in enumerate(["Old remark", "Document is blurry\nPlease upload a scan"]):
        SubOrderComment.objects.create(
            telnyx_id=str(uuid.uuid4()),
            sub_order=number.sub_order,
            body=body,
            commenter_type="admin",
            telnyx_created_at=timezone.now() - timedelta(hours=5 - i),
        )
    html = alice_client.get(reverse("home")).content.decode()
    rejected = section(html, "rejected")
    assert 'data-count="1"' in rejected
    assert number.phone_number in rejected
    assert "Declined: Proof of address" in rejected
    assert "Document is blurry" in rejected
    assert "Please upload a scan" not in rejected and "Old remark" not in rejected
    assert "3\xa0hours ago" in rejected
    assert "countdown" in rejected  # the new deadline
    fix = reverse("compliance:requirement-form", args=[number.sub_order.public_id])
    assert f"{fix}?number={number.public_id}&amp;correct=1" in rejected
    assert number.number_order.reference in rejected


def test_a_rejection_quotes_the_reasons_telnyx_lists_not_the_generic_first_line(alice_client):
    number = make_number("requirement-info-exception", statuses=("approved", "declined"))
    SubOrderComment.objects.create(
        telnyx_id=str(uuid.uuid4()),
        sub_order=number.sub_order,
        body=(
            "Some requirement values were declined:\n"
            f"- {number.phone_number} - Proof of address: the bill is older than 3 months\n"
            "Please provide corrected values before 2026-12-03T00:00:00Z."
        ),
        commenter_type="admin",
        telnyx_created_at=timezone.now(),
    )
    rejected = section(alice_client.get(reverse("home")).content.decode(), "rejected")
    assert "Proof of address: the bill is older than 3 months" in rejected
    assert "Some requirement values were declined" not in rejected


def test_needs_information_lists_what_is_missing_and_skips_numbers_with_a_submission_in_flight(
    alice, alice_client
):
    waiting = make_number(statuses=("awaiting-value", "approved"))
    in_flight = make_number()
    Submission.objects.create(
        sub_order=in_flight.sub_order, status=Submission.Status.QUEUED, submitted_by=alice
    )
    html = alice_client.get(reverse("home")).content.decode()
    needs = section(html, "needs-info")
    assert waiting.phone_number in needs
    assert "Missing: Business address" in needs
    assert in_flight.phone_number not in needs
    assert str(in_flight.sub_order.public_id) in section(html, "at-telnyx")


def test_due_soon_lists_deadlines_within_72_hours_soonest_first(alice_client):
    later = make_number(deadline_hours=60)
    sooner = make_number(deadline_hours=5)
    far = make_number(deadline_hours=200)
    due = section(alice_client.get(reverse("home")).content.decode(), "due-soon")
    assert 'data-count="2"' in due
    assert due.index(sooner.phone_number) < due.index(later.phone_number)
    assert far.phone_number not in due
    assert "Still missing: Business address, Proof of address" in due


def test_approvals_are_actionable_for_managers_and_shown_as_waiting_for_staff(
    alice, alice_client, maria_client
):
    number = make_number()
    waiting = Submission.objects.create(
        sub_order=number.sub_order,
        status=Submission.Status.AWAITING_APPROVAL,
        submitted_by=alice,
    )
    big = NumberOrder.objects.create(
        customer_reference=str(uuid.uuid4()),
        placing_state=PlacingState.AWAITING_APPROVAL,
        requested_numbers=[{"phone_number": "+493012345", "country_code": "DE"}] * 60,
        phone_numbers_count=60,
        placed_by=alice,
    )
    staff = section(alice_client.get(reverse("home")).content.decode(), "approval")
    manager = section(maria_client.get(reverse("home")).content.decode(), "approval")
    assert 'data-count="2"' in staff and 'data-count="2"' in manager
    assert staff.count("Waiting for a manager") == 2
    assert "Waiting for a manager" not in manager
    assert "Approve or reject" in manager and ">Approve<" in manager
    assert f"Large order {big.reference} · DE · 60 numbers" in manager
    assert big.get_absolute_url() in manager
    # Each row links to where the work is done: the admin's decision page for a manager.
    decide = reverse("admin:compliance_submission_change", args=[waiting.pk])
    assert decide in manager and decide not in staff


def test_stuck_and_done_recently(alice, alice_client):
    number = make_number()
    Submission.objects.create(
        sub_order=number.sub_order,
        status=Submission.Status.FAILED,
        submitted_by=alice,
        error="Telnyx refused the address\ntrace",
    )
    NumberOrder.objects.create(
        customer_reference=str(uuid.uuid4()), placing_state=PlacingState.UNKNOWN
    )
    done = make_number(sub_status="success")
    html = alice_client.get(reverse("home")).content.decode()
    stuck = section(html, "stuck")
    assert 'data-count="2"' in stuck
    assert "Telnyx refused the address" in stuck and "trace" not in stuck
    assert done.number_order.reference in section(html, "done")
    # Finished work is not offered to claim; open work is.
    assert 'value="claim"' not in section(html, "done")
    assert 'value="claim"' in section(html, "needs-info")


def test_filters_mine_unassigned_country_and_type(alice, maria, alice_client):
    mine = make_number(assignee=alice)
    theirs = make_number(assignee=maria)
    nobody = make_number(country="FR", number_type="mobile")

    def needs(**query) -> str:
        return section(alice_client.get(reverse("home"), query).content.decode(), "needs-info")

    assert all(n.phone_number in needs() for n in (mine, theirs, nobody))
    only_mine = needs(scope="mine")
    assert mine.phone_number in only_mine and theirs.phone_number not in only_mine
    unassigned = needs(scope="unassigned")
    assert nobody.phone_number in unassigned and mine.phone_number not in unassigned
    assert "<em>Unassigned</em>" in unassigned
    french = needs(country="fr")
    assert nobody.phone_number in french and mine.phone_number not in french
    mobile = needs(type="mobile")
    assert nobody.phone_number in mobile and theirs.phone_number not in mobile
    assert mine.phone_number in needs(scope="bogus")


def test_a_long_section_is_paged(alice_client):
    numbers = [make_number(deadline_hours=10 + i) for i in range(12)]
    html = alice_client.get(reverse("home")).content.decode()
    due = section(html, "due-soon")
    assert 'data-count="12"' in due and due.count("data-row") == 10
    assert "section=due-soon" in due
    page2 = alice_client.get(reverse("home"), {"section": "due-soon", "page": 2}).content.decode()
    assert page2.count("data-row") == 2
    assert numbers[-1].phone_number in page2 and numbers[0].phone_number not in page2
    assert 'id="queue-rejected"' not in page2


def test_the_queue_region_alone_is_returned_for_htmx_polling(alice_client):
    make_number()
    response = alice_client.get(
        reverse("home"), {"part": "queue", "scope": "everyone"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="work-queue"')
    # Polling never replaces something being typed in: no filter form, no field to type in.
    assert "queue-filters" not in html and "<select" not in html and "<textarea" not in html
    assert 'type="text"' not in html
    assert 'hx-trigger="every 15s, live:refresh"' in html


def test_people_without_a_role_see_no_queue(olga_client):
    html = olga_client.get(reverse("home")).content.decode()
    assert "Work queue" not in html and "no role yet" in html


def test_the_queue_costs_the_same_queries_at_a_few_and_10000_orders(
    maria, maria_client, django_assert_max_num_queries
):
    """Fewer rows than a section's page, then full pages, placed and owned by someone: a query
    per row (owner, placer, comment...) would show."""
    maria_client.get(reverse("home"))  # the session's first request does its own bookkeeping
    counts, rows = [], []
    for size in (8, 9_992):
        bulk_open_orders(size, ADDRESS)
        NumberOrder.objects.update(placed_by=maria)
        SubNumberOrder.objects.update(assignee=maria)
        with CaptureQueriesContext(connection) as queries:
            response = maria_client.get(reverse("home"))
        assert response.status_code == 200
        rows.append(section(response.content.decode(), "rejected").count("data-row"))
        counts.append(len(queries))
    assert rows[0] < 10 and rows[1] == 10, rows
    assert counts[0] == counts[1], counts
    # Session, user, permissions and seven sections: a fixed budget whatever the size.
    with django_assert_max_num_queries(31):
        maria_client.get(reverse("home"))


def test_the_sub_order_page_and_order_detail_refresh_their_status_regions_only(alice_client):
    number = make_number()
    sub = number.sub_order
    page = reverse("compliance:sub-order", args=[sub.public_id])
    full = alice_client.get(page).content.decode()
    assert (
        'id="sub-order-live" data-live' in full and 'hx-trigger="every 15s, live:refresh"' in full
    )
    OrderedNumber.objects.filter(pk=number.pk).update(requirements_status="approved")
    live = alice_client.get(page, {"part": "live"}, HTTP_HX_REQUEST="true").content.decode()
    assert live.lstrip().startswith('<div id="sub-order-live"')
    assert "Approved" in live and "<form" not in live and "<select" not in live
    detail = alice_client.get(
        sub.number_order.get_absolute_url(), {"part": "sub-orders"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert '<dd id="order-status" hx-swap-oob="true">' in detail
    assert 'id="sub-orders" data-live' in detail and "<input" not in detail.split("</dd>", 1)[1]
