"""Staying in sync: the periodic pass, Refresh now, history, resumability, no idle writes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from orders import sync
from orders.models import (
    NumberOrder,
    NumberStatusChange,
    OrderedNumber,
    PlacingState,
    SubNumberOrder,
    SyncRun,
)
from orders.schedule import SYNC_TASK, clamp_expiry

from .helpers import place_now

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def row_versions() -> list[tuple[str, str]]:
    rows = []
    with connection.cursor() as cursor:
        for table in (
            "orders_numberorder",
            "orders_subnumberorder",
            "orders_orderednumber",
            "orders_subordercomment",
            "orders_numberstatuschange",
        ):
            cursor.execute(f"SELECT id::text, xmin::text FROM {table} ORDER BY id")  # noqa: S608
            rows += [(table, f"{i}:{x}") for i, x in cursor.fetchall()]
    return rows


def test_us_local_completes_by_itself_and_the_sync_sees_it(sandbox, alice):
    order = place_now(alice, sandbox, [("US", "local", 2)])
    assert order.status == "pending"
    sandbox.advance(120)
    report = sync.sync_pending()
    order.refresh_from_db()
    assert order.status == "success"
    assert set(order.sub_orders.values_list("status", flat=True)) == {"success"}
    assert set(order.numbers.values_list("status", flat=True)) == {"success"}
    changes = NumberStatusChange.objects.filter(number__number_order=order, field="status")
    assert {(c.old_value, c.new_value, c.source) for c in changes} == {
        ("pending", "success", "sync")
    }
    assert report.history == 2 and not report.errors


def test_p25_the_periodic_sync_picks_up_a_change_made_directly_in_the_sandbox(sandbox, alice):
    order = place_now(alice, sandbox, [("DE", "local", 1)])
    number = order.numbers.get()
    assert number.requirements_status == "requirement-info-pending" and number.deadline
    sandbox.force_number(
        number.telnyx_id, requirements_status="requirement-info-exception", deadline=None
    )
    sync.sync_pending()
    number.refresh_from_db()
    assert number.requirements_status == "requirement-info-exception"
    assert number.deadline is None
    synced = NumberStatusChange.objects.filter(number=number, source="sync")
    assert set(synced.values_list("field", "new_value")) == {
        ("requirements_status", "requirement-info-exception"),
        ("deadline", ""),
    }
    order.refresh_from_db()
    assert order.needs_action and order.next_deadline is None


def test_a_resync_with_no_change_writes_no_rows(sandbox, alice):
    place_now(alice, sandbox, [("DE", "local", 2), ("FR", "local", 1)])
    sync.sync_pending()
    before = row_versions()
    report = sync.sync_pending()
    assert report.changed_rows == 0 and report.checked == 2 and not report.errors
    assert row_versions() == before
    # Fewest calls: the pending sub orders in one list; DE's two numbers in one country listing
    # (cheaper than two GETs), FR's single number by id; the comments of each sub order.
    assert report.api_calls == 1 + 1 + 1 + 2
    sandbox.clear_requests()
    sync.sync_pending()
    gets = [r["path"] for r in sandbox.requests(method="GET")]
    assert gets.count("/v2/number_order_phone_numbers") == 1
    assert len([p for p in gets if p.startswith("/v2/number_order_phone_numbers/")]) == 1
    assert gets.count("/v2/comments") == 2 and len(gets) == 5


def test_a_sync_that_fails_on_one_sub_order_loses_nothing_and_catches_up_next_time(sandbox, alice):
    order = place_now(alice, sandbox, [("DE", "local", 1), ("FR", "local", 1)])
    for number in order.numbers.all():
        sandbox.force_number(number.telnyx_id, requirements_status="requirement-info-exception")
    sandbox.script(method="GET", path="/v2/comments", action="status", status=403, times=1)
    first = sync.sync_pending()
    assert len(first.errors) == 1
    statuses = list(OrderedNumber.objects.values_list("requirements_status", flat=True))
    assert sorted(statuses) == ["requirement-info-exception", "requirement-info-pending"]
    second = sync.sync_pending()
    assert not second.errors
    assert set(OrderedNumber.objects.values_list("requirements_status", flat=True)) == {
        "requirement-info-exception"
    }


def test_a_pass_that_died_resumes_after_its_cursor(sandbox, alice):
    place_now(alice, sandbox, [("DE", "local", 1), ("FR", "local", 1)])
    first_pk = SubNumberOrder.objects.order_by("pk").first().pk
    SyncRun.objects.create(state=SyncRun.State.FAILED, cursor=first_pk)
    report = sync.sync_pending(chunk_size=1)
    run = SyncRun.objects.order_by("-pk").first()
    assert run.resumed_from == first_pk and run.state == SyncRun.State.DONE
    assert report.checked == 2


def test_p25_a_resumed_pass_checks_every_open_sub_order_once_and_skips_final_ones(sandbox, alice):
    """Chunks are loaded as "the open sub orders between two keys": a resumed pass wraps
    around without a chunk spanning the wrap, and a final sub order inside a key range is
    neither read nor fetched."""
    order = place_now(alice, sandbox, [("DE", "local", 1), ("FR", "local", 1), ("GB", "local", 1)])
    order_2 = place_now(alice, sandbox, [("NL", "local", 1)])
    subs = list(SubNumberOrder.objects.order_by("pk"))
    assert len(subs) == 4
    finished = subs[1]
    SubNumberOrder.objects.filter(pk=finished.pk).update(status="success")
    SyncRun.objects.create(state=SyncRun.State.FAILED, cursor=subs[2].pk)
    sandbox.clear_requests()
    report = sync.sync_pending()
    assert report.checked == 3 and not report.errors
    comment_reads = [r["query"] for r in sandbox.requests(path="/v2/comments", method="GET")]
    for sub in subs:
        reads = [q for q in comment_reads if sub.telnyx_id in q]
        assert len(reads) == (0 if sub == finished else 1), sub
    assert SyncRun.objects.order_by("-pk").first().state == SyncRun.State.DONE
    assert order.sub_orders.count() == 3 and order_2.sub_orders.count() == 1


def test_refresh_now_updates_the_page_and_records_when_it_ran(sandbox, alice, alice_client):
    order = place_now(alice, sandbox, [("US", "local", 1)])
    sandbox.advance(120)
    response = alice_client.post(
        reverse("orders:refresh", args=[order.public_id]), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Refreshed from Telnyx" in html
    assert "Success" in html
    order.refresh_from_db()
    assert order.status == "success" and order.last_synced_at is not None


def test_refresh_sub_order_is_what_compliance_calls(sandbox, alice):
    order = place_now(alice, sandbox, [("DE", "local", 1)])
    sub = order.sub_orders.get()
    sandbox.force_number(
        order.numbers.get().telnyx_id, requirements_status="requirement-info-under-review"
    )
    sync.refresh_sub_order(sub)
    assert order.numbers.get().requirements_status == "requirement-info-under-review"


def test_the_beat_entry_is_editable_and_always_expires_before_the_next_run(db):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    task = PeriodicTask.objects.get(task=SYNC_TASK)
    assert 0 < task.expire_seconds < task.interval.every
    task.interval = IntervalSchedule.objects.create(every=30, period="seconds")
    task.expire_seconds = 600
    clamp_expiry(PeriodicTask, task)
    task.save()
    task.refresh_from_db()
    assert task.expire_seconds == 24
    assert NumberOrder.objects.count() == 0


def test_the_beat_task_runs_the_sync_in_a_worker(sandbox, alice, orders_worker):
    from orders.tasks import sync_pending_orders

    from .conftest import wait_for

    order = place_now(alice, sandbox, [("US", "local", 1)])
    sandbox.advance(120)
    sync_pending_orders.delay()
    wait_for(
        lambda: NumberOrder.objects.get(pk=order.pk).status == "success", 30, "the worker's sync"
    )
    assert SyncRun.objects.filter(state=SyncRun.State.DONE).exists()


def mirror_order_placed_outside(sandbox, country: str, count: int) -> NumberOrder:
    """An order placed straight at the sandbox and mirrored in bulk (placing through the app
    would fetch every number by id, which is not what this test is about)."""
    created = sandbox.order(sandbox.search(country, "local", limit=count))
    order = NumberOrder.objects.create(
        telnyx_id=created["id"],
        customer_reference=created["customer_reference"],
        status=created["status"],
        phone_numbers_count=len(created["phone_numbers"]),
        placing_state=PlacingState.PLACED,
    )
    sub = SubNumberOrder.objects.create(
        telnyx_id=created["sub_number_orders_ids"][0],
        number_order=order,
        country_code=country,
        phone_number_type="local",
        status="pending",
    )
    OrderedNumber.objects.bulk_create(
        OrderedNumber(
            telnyx_id=n["id"],
            number_order=order,
            sub_order=sub,
            phone_number=n["phone_number"],
            country_code=country,
            status=n["status"],
        )
        for n in created["phone_numbers"]
    )
    return order


def test_a_country_listing_longer_than_one_page_is_read_whole_with_pages_side_by_side(
    sandbox,
):
    """260 pending CA numbers are listed in 2 pages of 250 (page 2 fetched on the pool once
    page 1 told how many there are), not in 13 pages of 20 nor by 260 GETs by id, and a change
    on the last page is seen."""
    order = mirror_order_placed_outside(sandbox, "CA", 260)
    sync.sync_pending(concurrency=4)
    last = order.numbers.order_by("pk").last()
    sandbox.force_number(last.telnyx_id, requirements_status="requirement-info-exception")
    sandbox.clear_requests()
    report = sync.sync_pending(concurrency=4)
    assert not report.errors and report.changed_rows >= 1
    last.refresh_from_db()
    assert last.requirements_status == "requirement-info-exception"
    gets = sandbox.requests(method="GET")
    listings = [r for r in gets if r["path"] == "/v2/number_order_phone_numbers"]
    assert len(listings) == 2
    assert not [r for r in gets if r["path"].startswith("/v2/number_order_phone_numbers/")]
    assert report.api_calls == len(gets)
