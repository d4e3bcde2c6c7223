"""Deadline board and reminders: 72 h and 24 h before, once on auto-cancel, never twice, to the
sub order's owner (or whoever placed the order) only, as notifications mailed by the task."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance import deadlines
from compliance.models import DeadlineReminder, RequirementType
from notifications.models import Notification
from orders.models import NumberOrder, OrderedNumber, SubNumberOrder
from tests.notifications.helpers import deliver_mails
from tests.orders.factories import bulk_open_orders

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(sub_order, alice, maria, olga):
    """Alice placed the order; maria (a manager) and olga are bystanders."""
    sub_order.number_order.placed_by = alice
    sub_order.number_order.save()
    return alice, maria, olga


def sent() -> list:
    deliver_mails()
    return mail.outbox


def _set_deadline(sub_order, hours: float):
    number = sub_order.numbers.get()
    number.deadline = timezone.now() + timedelta(hours=hours)
    number.save()
    return number


def test_reminders_go_to_the_placer_only_once_per_threshold(sub_order, cast):
    number = _set_deadline(sub_order, 70)
    assert deadlines.send_reminders() == 1
    (message,) = sent()
    assert message.to == ["alice@example.test"]  # not maria, not olga
    assert "within 72 h" in message.subject
    assert number.phone_number in message.body
    assert str(sub_order.public_id) in message.body
    assert deadlines.send_reminders() == 0  # not again
    assert len(sent()) == 1

    # 24 h later the second reminder goes out, once.
    now = timezone.now() + timedelta(hours=48)
    assert deadlines.send_reminders(now=now) == 1
    assert "within 24 h" in sent()[1].subject
    assert deadlines.send_reminders(now=now) == 0
    assert DeadlineReminder.objects.filter(number=number).count() == 2
    assert DeadlineReminder.objects.filter(number=number, kind="72h").get().recipients == 1


def test_a_reminder_about_an_owned_sub_order_goes_to_its_assignee(sub_order, cast):
    _alice, maria, _olga = cast
    sub_order.assignee = maria
    sub_order.save()
    _set_deadline(sub_order, 70)
    assert deadlines.send_reminders() == 1
    (message,) = sent()
    assert message.to == ["maria@example.test"]


def test_a_late_start_sends_only_the_most_urgent_reminder(sub_order, cast):
    _set_deadline(sub_order, 10)
    assert deadlines.send_reminders() == 1
    assert "within 24 h" in sent()[0].subject
    assert deadlines.send_reminders() == 0


def test_a_new_deadline_after_a_rejection_gets_its_own_reminders(sub_order, cast):
    number = _set_deadline(sub_order, 20)
    deadlines.send_reminders()
    number.deadline = timezone.now() + timedelta(hours=60)
    number.requirements_status = "requirement-info-exception"
    number.save()
    assert deadlines.send_reminders() == 1
    assert "within 72 h" in sent()[-1].subject


def test_no_reminder_once_everything_is_submitted(sub_order, cast):
    number = _set_deadline(sub_order, 20)
    number.requirements_status = "requirement-info-under-review"
    number.save()
    assert deadlines.send_reminders() == 0
    assert sent() == []


def test_an_auto_cancelled_sub_order_is_reported_once(sub_order, cast):
    sub_order.status = "cancelled"
    sub_order.save()
    assert deadlines.send_reminders() == 1
    (notice,) = Notification.objects.filter(recipient__username="alice")
    assert notice.title.startswith("Cancelled by Telnyx")
    assert sent() == []  # in the portal only, unless alice asks for e-mail too
    assert deadlines.send_reminders() == 0


def test_a_sub_order_cancelled_by_a_user_sends_no_auto_cancel_email(sub_order, cast):
    alice, _, _ = cast
    sub_order.status = "cancelled"
    sub_order.cancelled_by = alice
    sub_order.save()
    assert deadlines.send_reminders() == 0


def test_the_board_lists_soonest_first_with_what_is_missing(sub_order, alice_client, cast):
    _set_deadline(sub_order, 30)
    response = alice_client.get(reverse("compliance:deadlines"))
    assert response.status_code == 200
    body = response.content.decode()
    number = sub_order.numbers.get()
    assert number.phone_number in body
    assert "Requirement 00000000" in body  # uncached requirement labels still show


BOARD = "/compliance/deadlines/"


def numbers_due_in(*hours: float, assignee=None) -> list[OrderedNumber]:
    """One pending sub order per deadline, its number due ``hours`` from now."""
    numbers = []
    for h in hours:
        order = NumberOrder.objects.create(telnyx_id=str(uuid.uuid4()), customer_reference=str(h))
        sub = SubNumberOrder.objects.create(
            telnyx_id=str(uuid.uuid4()),
            number_order=order,
            country_code="DE",
            phone_number_type="local",
            status="pending",
            assignee=assignee,
        )
        numbers.append(
            OrderedNumber.objects.create(
                telnyx_id=str(uuid.uuid4()),
                sub_order=sub,
                number_order=order,
                phone_number=f"+4930{len(numbers):07d}",
                deadline=timezone.now() + timedelta(hours=h),
            )
        )
    return numbers


def shown(body: str) -> list[str]:
    return re.findall(r'data-number="([^"]+)"', body)


def test_the_board_costs_the_same_queries_for_a_few_and_1000_due_numbers(alice, alice_client):
    """Fewer numbers than a page, then many pages: per-row queries would show."""
    RequirementType.objects.create(telnyx_id="bulk-address", name="Business address")
    alice_client.get(BOARD)  # the session's first request does its own bookkeeping
    counts, rows = [], []
    for size in (20, 1_000):
        bulk_open_orders(size)  # three in four of them pending, due within 100 hours
        NumberOrder.objects.update(placed_by=alice)
        SubNumberOrder.objects.update(assignee=alice)
        with CaptureQueriesContext(connection) as queries:
            response = alice_client.get(BOARD)
        body = response.content.decode()
        assert "Business address" in body
        counts.append(len(queries))
        rows.append(len(shown(body)))
    assert rows == [15, deadlines.BOARD_PAGE_SIZE]
    assert counts[0] == counts[1], counts
    assert "Page 1 of 16 (765 numbers)" in " ".join(body.split())


def test_the_board_is_paged_soonest_first_by_day_with_a_count_per_window(alice_client, monkeypatch):
    monkeypatch.setattr(deadlines, "BOARD_PAGE_SIZE", 2)
    overdue, soon, in_two_days, in_five_days, later, latest = numbers_due_in(
        -3, 10, 50, 5 * 24, 20 * 24, 30 * 24
    )
    body = alice_client.get(BOARD).content.decode()
    assert shown(body) == [overdue.phone_number, soon.phone_number]
    text = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    for label, count in [("All", 6), ("Overdue", 1), ("Within 24 h", 1), ("24 to 72 h", 1),
                         ("3 to 7 days", 1), ("Later", 2)]:  # fmt: skip
        assert f"{label} {count}" in text
    assert "Page 1 of 3 (6 numbers)" in text
    assert 'scope="rowgroup"' in body  # a heading row per day
    assert timezone.localdate(overdue.deadline).strftime("%A") in text

    page_2 = alice_client.get(BOARD + "?page=2").content.decode()
    assert shown(page_2) == [in_two_days.phone_number, in_five_days.phone_number]
    later_page = alice_client.get(BOARD + "?window=later").content.decode()
    assert shown(later_page) == [later.phone_number, latest.phone_number]
    assert shown(alice_client.get(BOARD + "?window=24h").content.decode()) == [soon.phone_number]


def test_board_filters_are_in_the_url_and_bad_values_fall_back(alice, alice_client, monkeypatch):
    monkeypatch.setattr(deadlines, "BOARD_PAGE_SIZE", 1)
    mine = numbers_due_in(30, 40, assignee=alice)
    numbers_due_in(35)
    body = alice_client.get(BOARD + "?owner=mine&window=72h").content.decode()
    assert shown(body) == [mine[0].phone_number]
    # Window links keep the owner; page links keep both.
    assert 'href="?owner=mine&amp;window=later"' in body
    assert 'href="?owner=mine&amp;window=72h&amp;page=2"' in body
    page_2 = alice_client.get(BOARD + "?owner=mine&window=72h&page=2").content.decode()
    assert shown(page_2) == [mine[1].phone_number]
    for bad in ("?page=abc", "?page=-4", "?page=999", "?window=forever", "?owner=everyone"):
        response = alice_client.get(BOARD + bad)
        assert response.status_code == 200, bad
        assert len(shown(response.content.decode())) == 1, bad


def test_the_board_refreshes_itself_with_its_own_filters_and_page(alice_client, monkeypatch):
    monkeypatch.setattr(deadlines, "BOARD_PAGE_SIZE", 1)
    numbers_due_in(5, 6)
    body = alice_client.get(BOARD + "?window=24h&page=2").content.decode()
    assert 'hx-get="/compliance/deadlines/?window=24h&amp;page=2"' in body
    part = alice_client.get(BOARD + "?window=24h&page=2", headers={"HX-Request": "true"})
    fragment = part.content.decode()
    assert fragment.lstrip().startswith('<div id="deadline-board"')
    assert "<h1>" not in fragment and len(shown(fragment)) == 1


def test_p34_the_board_is_not_for_outsiders(olga_client):
    assert olga_client.get(reverse("compliance:deadlines")).status_code == 404


def test_reminders_are_not_repeated_where_the_database_lacks_the_constraint(
    sub_order, cast, monkeypatch
):
    """SQLite (`make run`) cannot build the NULLS NOT DISTINCT constraint (models.W047)."""
    from django.db import connection

    constraint = next(
        c
        for c in DeadlineReminder._meta.constraints
        if c.name == "compliance_one_reminder_per_deadline"
    )
    with connection.schema_editor() as editor:  # rolled back with the test's transaction
        editor.remove_constraint(DeadlineReminder, constraint)
    monkeypatch.setattr(
        type(connection.features), "supports_nulls_distinct_unique_constraints", False
    )
    _set_deadline(sub_order, 70)
    assert deadlines.send_reminders() == 1
    assert deadlines.send_reminders() == 0
    sub_order.status = "cancelled"
    sub_order.save()
    assert deadlines.send_reminders() == 1  # the auto-cancel notice, whose deadline is NULL
    assert deadlines.send_reminders() == 0
    assert len(sent()) == 1  # the reminder; the auto-cancel notice is in the portal only
    assert Notification.objects.count() == 2


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_reminder_names_each_requirement_even_one_never_looked_up(sandbox, alice, maria):
    from compliance.models import RequirementType
    from tests.orders.helpers import place_now

    order = place_now(alice, sandbox, [("DE", "local", 1)])
    number = order.numbers.get()
    number.deadline = timezone.now() + timedelta(hours=20)
    number.save()
    RequirementType.objects.all().delete()  # nobody opened the sub order page yet
    assert deadlines.send_reminders() == 1
    body = sent()[0].body
    assert "Requirement " not in body
    names = RequirementType.objects.values_list("name", flat=True)
    assert names and all(name in body for name in names)
