"""One placing mechanism for single and bulk orders (orders/intents.py): the controls hold."""

from __future__ import annotations

import contextlib
import threading
import uuid

import pytest
from django.db import connection

from orders import bulk, intents, placing
from orders.intents import PlacingRefused
from orders.models import BulkOrder, NumberOrder, PlacingState
from orders.placing import OrderOptions
from orders.selection import SelectedNumber, Selection
from portal.models import OutboxMessage


def _selection(count: int, start: int = 0) -> Selection:
    selection = Selection({})
    selection.add(SelectedNumber(f"+1555{start + i:07d}", "US", "local") for i in range(count))
    return selection


def _groups(count: int) -> list[dict]:
    return [{"phone_number_type": "local", "country_iso": "US", "count_requested": count}]


@pytest.mark.django_db(transaction=True)
def test_p15_two_requests_at_once_cannot_both_pass_the_daily_cap(alice, settings, monkeypatch):
    """Each request alone fits under the cap, both together do not: exactly one wins."""
    settings.ORDERS_DAILY_NUMBER_CAP = 3
    counted = threading.Barrier(2, timeout=3)
    real_count = intents.numbers_ordered_today

    def count_then_linger(user):
        value = real_count(user)
        # Without the lock both requests would count before either inserts.
        with contextlib.suppress(threading.BrokenBarrierError):
            counted.wait()
        return value

    monkeypatch.setattr(intents, "numbers_ordered_today", count_then_linger)
    outcomes: list[str] = []

    def order(start: int, kind: str) -> None:
        try:
            if kind == "bulk":
                bulk.create_intent(alice, str(uuid.uuid4()), _groups(2), OrderOptions())
            else:
                placing.create_intent(
                    alice, str(uuid.uuid4()), _selection(2, start), OrderOptions()
                )
            outcomes.append("placed")
        except PlacingRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=order, args=(0, "single")),
        threading.Thread(target=order, args=(10, "bulk")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["placed", "refused"]
    assert real_count(alice) == 2


@pytest.mark.django_db
def test_p15_the_approval_functions_check_the_permission_themselves(alice, olga, maria):
    order = NumberOrder.objects.create(
        customer_reference=str(uuid.uuid4()),
        placed_by=maria,
        placing_state=PlacingState.AWAITING_APPROVAL,
    )
    row = BulkOrder.objects.create(
        customer_reference=str(uuid.uuid4()),
        placed_by=maria,
        placing_state=PlacingState.AWAITING_APPROVAL,
    )
    for approver in (alice, olga):
        with pytest.raises(PlacingRefused, match="Only a compliance manager"):
            placing.approve(order, approver)
        with pytest.raises(PlacingRefused, match="Only a compliance manager"):
            bulk.approve(row, approver)
    order.refresh_from_db()
    row.refresh_from_db()
    assert order.placing_state == row.placing_state == PlacingState.AWAITING_APPROVAL


@pytest.mark.django_db
def test_p15_a_bulk_approval_records_the_approver_like_a_single_order(
    alice, maria, settings, django_capture_on_commit_callbacks
):
    settings.ORDERS_APPROVAL_THRESHOLD = 5
    with django_capture_on_commit_callbacks() as callbacks:
        row, _ = bulk.create_intent(alice, str(uuid.uuid4()), _groups(6), OrderOptions())
    assert row.placing_state == PlacingState.AWAITING_APPROVAL
    # Nothing placed: the only job is the e-mail telling maria it waits for her.
    assert not OutboxMessage.objects.filter(kind=bulk.JOB.name).exists()
    assert len(callbacks) == 1
    with pytest.raises(PlacingRefused):
        bulk.approve(row, alice)
    with django_capture_on_commit_callbacks() as callbacks:
        assert bulk.approve(row, maria)
    row.refresh_from_db()
    assert row.placing_state == PlacingState.QUEUED and row.approved_by == maria
    assert len(callbacks) == 1
    assert not bulk.approve(row, maria)  # already released


@pytest.mark.django_db
def test_a_bulk_order_that_ends_records_when_placing_finished(alice):
    row, _ = bulk.create_intent(alice, str(uuid.uuid4()), _groups(2), OrderOptions())
    intents.finish(bulk.PLACEMENT, row, PlacingState.FAILED, "Telnyx refused")
    row.refresh_from_db()
    assert row.placing_state == PlacingState.FAILED and row.placing_finished_at is not None


@pytest.mark.django_db
def test_the_bulk_limit_is_a_setting(alice, settings):
    settings.ORDERS_BULK_MAX_NUMBERS = 5
    with pytest.raises(PlacingRefused, match="at most 5 numbers"):
        bulk.create_intent(alice, str(uuid.uuid4()), _groups(6), OrderOptions())
    settings.ORDERS_BULK_MAX_NUMBERS = 10
    assert bulk.create_intent(alice, str(uuid.uuid4()), _groups(6), OrderOptions())[1]


@pytest.mark.django_db
def test_someone_elses_bulk_intent_cannot_be_reused(alice, maria):
    intent = str(uuid.uuid4())
    bulk.create_intent(alice, intent, _groups(2), OrderOptions())
    with pytest.raises(PlacingRefused, match="belongs to someone else"):
        bulk.create_intent(maria, intent, _groups(2), OrderOptions())


@pytest.mark.django_db
def test_the_daily_cap_counts_single_and_bulk_orders_once_and_unknown_outcomes_as_spent(
    alice, settings
):
    settings.ORDERS_DAILY_NUMBER_CAP = 10
    single, _ = placing.create_intent(alice, str(uuid.uuid4()), _selection(3), OrderOptions())
    row, _ = bulk.create_intent(alice, str(uuid.uuid4()), _groups(4), OrderOptions())
    # An order a bulk order produced is counted through its bulk order.
    NumberOrder.objects.create(
        customer_reference=str(uuid.uuid4()),
        placed_by=alice,
        bulk_order=row,
        phone_numbers_count=4,
    )
    assert intents.numbers_ordered_today(alice) == 7
    NumberOrder.objects.filter(pk=single.pk).update(placing_state=PlacingState.UNKNOWN)
    assert intents.numbers_ordered_today(alice) == 7
    NumberOrder.objects.filter(pk=single.pk).update(placing_state=PlacingState.FAILED)
    assert intents.numbers_ordered_today(alice) == 4
    with pytest.raises(PlacingRefused, match="daily limit"):
        placing.create_intent(alice, str(uuid.uuid4()), _selection(7, 100), OrderOptions())


@pytest.mark.django_db
def test_a_large_order_waiting_for_approval_tells_the_managers_but_not_the_orderer(
    alice, maria, settings
):
    from notifications.models import Notification
    from portal.roles import MANAGERS
    from tests.fixtures.people import make_person

    mark = make_person("mark", MANAGERS)
    settings.ORDERS_APPROVAL_THRESHOLD = 5
    row, _ = placing.create_intent(mark, str(uuid.uuid4()), _selection(6), OrderOptions())
    told = Notification.objects.filter(event="approval").values_list("recipient__username")
    assert [name for (name,) in told] == ["maria"]  # not mark, who placed it; not alice
    (notice,) = Notification.objects.filter(event="approval")
    assert notice.url == row.get_absolute_url()
    placing.create_intent(mark, row.customer_reference, _selection(6), OrderOptions())
    assert Notification.objects.filter(event="approval").count() == 1  # a double click
