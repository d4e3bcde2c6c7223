"""The active pass: sub orders waiting on a Telnyx decision are re-read often, idle ones not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from orders import sync
from orders.models import OrderedNumber, SubNumberOrder
from orders.schedule import ACTIVE_TASK, ensure_active_entry

from .helpers import place_now

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

UNDER_REVIEW = "requirement-info-under-review"
EXCEPTION = "requirement-info-exception"


def age(order) -> None:
    """Make an order look placed an hour ago (no longer "just placed")."""
    SubNumberOrder.objects.filter(number_order=order).update(
        created_at=timezone.now() - timedelta(hours=1)
    )


def test_p25_the_active_pass_reads_sub_orders_under_review_and_leaves_idle_ones(sandbox, alice):
    busy = place_now(alice, sandbox, [("DE", "local", 1)])
    idle = place_now(alice, sandbox, [("FR", "local", 1)])
    age(busy)
    age(idle)
    busy_number, idle_number = busy.numbers.get(), idle.numbers.get()
    OrderedNumber.objects.filter(pk=busy_number.pk).update(requirements_status=UNDER_REVIEW)
    # Telnyx decides on both; only the one under review is expected to be re-read now.
    sandbox.force_number(busy_number.telnyx_id, requirements_status=EXCEPTION)
    sandbox.force_number(idle_number.telnyx_id, requirements_status=EXCEPTION)
    sandbox.clear_requests()
    report = sync.sync_active()
    assert report.checked == 1 and not report.errors
    busy_number.refresh_from_db()
    idle_number.refresh_from_db()
    assert busy_number.requirements_status == EXCEPTION
    assert busy_number.history.filter(new_value=EXCEPTION, source="sync").exists()
    assert idle_number.requirements_status == "requirement-info-pending"
    paths = " ".join(r["path"] for r in sandbox.requests())
    assert idle_number.telnyx_id not in paths and idle.sub_orders.get().telnyx_id not in paths


def test_just_placed_sub_orders_are_active_until_the_window_passes(sandbox, alice):
    order = place_now(alice, sandbox, [("US", "local", 1)])
    sub = order.sub_orders.get()
    assert list(sync.active_sub_orders()) == [sub]
    age(order)
    assert list(sync.active_sub_orders()) == []
    sandbox.advance(120)  # the sandbox completes US local numbers by itself
    SubNumberOrder.objects.filter(pk=sub.pk).update(created_at=timezone.now())
    sync.sync_active()
    order.refresh_from_db()
    assert order.sub_orders.get().status == "success"
    assert list(sync.active_sub_orders()) == []  # final: never re-read again


def test_the_active_beat_entry_runs_every_30_seconds_and_expires_before_the_next_run(db):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    # What the migration runs (earlier transactional tests flushed its rows); idempotent.
    for _ in range(2):
        ensure_active_entry(PeriodicTask, IntervalSchedule, settings.ORDERS_SYNC_ACTIVE_SECONDS)
    task = PeriodicTask.objects.get(task=ACTIVE_TASK)
    assert (task.interval.every, task.interval.period) == (30, "seconds")
    assert 0 < task.expire_seconds < 30
