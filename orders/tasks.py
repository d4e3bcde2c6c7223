"""Celery tasks of the orders app: thin, named as verbs, taking ids, safe to run twice.

Each task reloads its row and returns early if the row is gone or already done. Retries are
only for transient failures (network, 408/429/5xx, an ambiguous create), backed off with
jitter and capped below the broker's visibility timeout (P14, P21).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings

from orders import (
    bulk,
    group_attach,
    intents,
    placing,
    reconcile,
    reports,
    sync,
    tallies,
    webhooks,
)
from orders.models import PLACING_FINAL_STATES, BulkOrder, PlacingState, SubOrdersReport
from portal import outbox
from portal.backoff import task_countdown
from portal.locks import advisory_lock
from portal.telnyx.errors import TelnyxError

log = logging.getLogger(__name__)


def _run_placement(task: Any, placement: intents.Placement, pk: int) -> str:
    """One delivery of a placing job: count it, place, retry or settle, tell the outbox."""
    outbox.begin(placement.job, pk)  # the crash cap is the intent's own attempt counter
    try:
        state = intents.place(placement, pk)
    except intents.RetryLater as exc:
        if task.request.retries + 1 >= int(settings.ORDERS_PLACING_MAX_ATTEMPTS):
            state = intents.give_up(
                placement, pk, f"Gave up after {task.request.retries + 1} tries: {exc}"
            )
        else:
            countdown = task_countdown(task.request.retries, exc.countdown)
            outbox.end(placement.job, pk, retry_in=countdown, error=str(exc))
            raise task.retry(countdown=countdown) from exc
    if state in PLACING_FINAL_STATES or state == "missing":
        outbox.done(placement.job, pk)
    elif state != "busy":  # (a busy row is another delivery's to report)
        # The outcome is still unknown: the job stays open and the relay comes back to it.
        outbox.end(placement.job, pk)
    return state


@shared_task(bind=True, max_retries=None, acks_late=True)
def place_number_order(self, order_id: int) -> str:  # type: ignore[no-untyped-def]
    """Place an order intent at Telnyx (reconciling first when a try may have reached it)."""
    return _run_placement(self, placing.PLACEMENT, order_id)


@shared_task(bind=True, max_retries=None, acks_late=True)
def attach_requirement_group(self, attachment_id: int) -> str:  # type: ignore[no-untyped-def]
    """Apply an approved requirement group to a pending sub order or number at Telnyx."""
    outbox.begin(group_attach.JOB, attachment_id)
    try:
        state = group_attach.run(attachment_id)
    except intents.RetryLater as exc:
        countdown = task_countdown(self.request.retries, exc.countdown)
        outbox.end(group_attach.JOB, attachment_id, retry_in=countdown, error=str(exc))
        raise self.retry(countdown=countdown) from exc
    if state != "busy":
        outbox.done(group_attach.JOB, attachment_id)
    return state


@shared_task(bind=True, max_retries=None, acks_late=True)
def place_bulk_order(self, bulk_id: int) -> str:  # type: ignore[no-untyped-def]
    """Submit a bulk (inexplicit) order at Telnyx, then follow it until its groups settle."""
    state = _run_placement(self, bulk.PLACEMENT, bulk_id)
    if state == PlacingState.PLACED:
        follow_bulk_order.apply_async((bulk_id, 0), countdown=2)
    return state


@shared_task(acks_late=True)
def follow_bulk_order(bulk_id: int, round_: int = 0) -> str:
    """Poll a bulk order a few times while Telnyx fills it (it sends no webhooks of its own)."""
    order = BulkOrder.objects.filter(pk=bulk_id).first()
    if order is None or not order.telnyx_id:
        return "missing"
    try:
        done = bulk.refresh(order)
    except TelnyxError as exc:
        if exc.permanent:
            return "failed"
        done = False
    if not done and round_ < 30:
        follow_bulk_order.apply_async((bulk_id, round_ + 1), countdown=min(60, 2 + 2 * round_))
    return "done" if done else "pending"


@shared_task(bind=True, max_retries=5, acks_late=True)
def process_webhook_event(self, event_id: int) -> str:  # type: ignore[no-untyped-def]
    """Apply a stored webhook event by re-fetching its order from Telnyx."""
    try:
        return webhooks.process(event_id)
    except TelnyxError as exc:
        raise self.retry(countdown=task_countdown(self.request.retries, exc.retry_after)) from exc


@shared_task(acks_late=True)
def process_webhook_events(event_ids: list[int]) -> dict[str, int]:
    """Apply a batch of stored webhook events handed over by a web process, each in turn; one
    whose Telnyx look-up failed for now is retried on its own (``process_webhook_event``)."""
    outcomes: dict[str, int] = {}
    for event_id in event_ids:
        try:
            outcome = webhooks.process(event_id)
        except TelnyxError as exc:
            countdown = task_countdown(0, exc.retry_after)
            process_webhook_event.apply_async((event_id,), countdown=countdown)
            outcome = "retrying"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@shared_task(acks_late=True)
def sync_pending_orders() -> dict[str, int]:
    """The periodic sync (beat): every non-final order, one pass at a time."""
    with advisory_lock("orders.sync", 0) as acquired:
        if not acquired:
            log.info("a sync pass is already running; skipping this one")
            return {"skipped": 1}
        report = sync.sync_pending()
        bulk.refresh_open_bulk_orders()
        try:
            reconcile.reconcile_recent_orders()
        except TelnyxError as exc:
            log.warning("reconciling recent orders failed: %s", exc)
    return {
        "checked": report.checked,
        "changed_rows": report.changed_rows,
        "history": report.history,
        "api_calls": report.api_calls,
        "errors": len(report.errors),
    }


@shared_task(acks_late=True)
def sync_active_orders() -> dict[str, int]:
    """The short-cadence sync (beat): sub orders waiting on a Telnyx decision."""
    with advisory_lock("orders.sync_active", 0) as acquired:
        if not acquired:
            return {"skipped": 1}
        report = sync.sync_active()
    return {"checked": report.checked, "errors": len(report.errors)}


@shared_task(acks_late=True)
def relay_outbox() -> dict[str, int]:
    """Publish again every outbox job and webhook event whose message was lost (P6, P18, P49)."""
    jobs = outbox.relay()
    events = webhooks.stale_pending_events(
        timedelta(seconds=int(settings.ORDERS_RELAY_EVENTS_AFTER_SECONDS))
    )
    for event_id in events:
        process_webhook_event.delay(event_id)
    return {"jobs": jobs, "events": len(events)}


# -- the sub number orders report (orders/reports.py) ---------------------------------------
REPORT_MAX_CHECKS = 60


@shared_task(bind=True, max_retries=None, acks_late=True)
def request_sub_orders_report(self, report_id: int) -> str:  # type: ignore[no-untyped-def]
    """Ask Telnyx to create the report, then start checking it."""
    try:
        outcome = reports.create_at_telnyx(report_id)
    except TelnyxError as exc:
        if self.request.retries + 1 >= int(settings.ORDERS_PLACING_MAX_ATTEMPTS):
            reports.give_up(report_id, f"Telnyx did not answer after several tries: {exc}")
            return "failed"
        raise self.retry(countdown=task_countdown(self.request.retries, exc.retry_after)) from exc
    if outcome == "generating":
        check_sub_orders_report.apply_async((report_id,), countdown=1)
    return outcome


@shared_task(bind=True, max_retries=None, acks_late=True)
def check_sub_orders_report(self, report_id: int) -> str:  # type: ignore[no-untyped-def]
    """Poll the report at Telnyx; download and store it once it is ready."""
    try:
        outcome = reports.check_at_telnyx(report_id)
    except TelnyxError as exc:
        outcome = "pending"
        log.info("report %s: Telnyx did not answer (%s); asking again", report_id, exc)
    if outcome == "pending":
        checks = SubOrdersReport.objects.filter(pk=report_id).values_list("checks", flat=True)
        done = next(iter(checks), 0)
        if done >= REPORT_MAX_CHECKS:
            reports.give_up(report_id, f"Telnyx had not finished the report after {done} checks.")
            return "failed"
        check_sub_orders_report.apply_async((report_id,), countdown=min(30, 1 + done))
    return outcome


@shared_task(acks_late=True)
def follow_sub_orders_reports() -> int:
    """Beat: publish again the next step of every unfinished report nobody worked on lately."""
    published = 0
    for report in reports.stale_reports():
        if reports.claim_stale(report):
            reports.publish_step(report)
            published += 1
    return published


@shared_task(acks_late=True)
def purge_expired_sub_orders_reports() -> int:
    """Beat: delete report files past their retention period."""
    return reports.purge_expired()


@shared_task(acks_late=True)
def compact_number_tallies() -> int:
    """Beat: fold the dashboard's ledger of number tallies into one row per key."""
    return tallies.compact()
