"""Celery tasks of the orders app: thin, named as verbs, taking ids, safe to run twice.

Each task reloads its row and returns early if the row is gone or already done. Retries are
only for transient failures (network, 408/429/5xx, an ambiguous create), backed off with
jitter and capped below the broker's visibility timeout (P14, P21).
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from orders import bulk, placing, sync, webhooks
from orders.models import BulkOrder
from orders.placing import RetryLater, advisory_lock
from portal.telnyx.errors import TelnyxError

log = logging.getLogger(__name__)


def _countdown(retries: int, asked: float | None = None) -> int:
    """Exponential backoff with jitter, at least what Telnyx asked, capped (P13, P21)."""
    base = min(60.0, 2.0**retries) * (0.5 + random.random() / 2)  # noqa: S311 - jitter only
    wait = max(base, asked or 0.0)
    return int(min(wait, float(settings.CELERY_MAX_COUNTDOWN)))


@shared_task(bind=True, max_retries=None, acks_late=True)
def place_number_order(self, order_id: int) -> str:  # type: ignore[no-untyped-def]
    """Place an order intent at Telnyx (reconciling first when a try may have reached it)."""
    try:
        return placing.place(order_id)
    except RetryLater as exc:
        if self.request.retries + 1 >= int(settings.ORDERS_PLACING_MAX_ATTEMPTS):
            placing.give_up(order_id, f"Gave up after {self.request.retries + 1} tries: {exc}")
            return "failed_exhausted"
        raise self.retry(countdown=_countdown(self.request.retries, exc.countdown)) from exc


@shared_task(bind=True, max_retries=None, acks_late=True)
def place_bulk_order(self, bulk_id: int) -> str:  # type: ignore[no-untyped-def]
    """Submit a bulk (inexplicit) order at Telnyx, then follow it until its groups settle."""
    try:
        state = bulk.place(bulk_id)
    except RetryLater as exc:
        if self.request.retries + 1 >= int(settings.ORDERS_PLACING_MAX_ATTEMPTS):
            bulk.give_up(bulk_id, f"Gave up after {self.request.retries + 1} tries: {exc}")
            return "failed_exhausted"
        raise self.retry(countdown=_countdown(self.request.retries, exc.countdown)) from exc
    if state == "placed":
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
        raise self.retry(countdown=_countdown(self.request.retries, exc.retry_after)) from exc


@shared_task(acks_late=True)
def sync_pending_orders() -> dict[str, int]:
    """The periodic sync (beat): every non-final order, one pass at a time."""
    with advisory_lock("orders.sync", 0) as acquired:
        if not acquired:
            log.info("a sync pass is already running; skipping this one")
            return {"skipped": 1}
        report = sync.sync_pending()
        bulk.refresh_open_bulk_orders()
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
    """Re-publish work whose task was lost (Redis down, worker gone): the outbox relay (P18)."""
    after = timedelta(seconds=int(settings.ORDERS_RELAY_AFTER_SECONDS))
    intents = placing.stale_intents(after)
    for order_id in intents:
        place_number_order.delay(order_id)
    bulks = bulk.stale_intents(after)
    for bulk_id in bulks:
        place_bulk_order.delay(bulk_id)
    events = webhooks.stale_pending_events(
        timedelta(seconds=int(settings.ORDERS_RELAY_EVENTS_AFTER_SECONDS))
    )
    for event_id in events:
        process_webhook_event.delay(event_id)
    return {"orders": len(intents), "bulk": len(bulks), "events": len(events)}
