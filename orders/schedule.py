"""The orders beat entries: created on migrate, editable in the admin, always expiring in time.

The periodic sync, the active sync and the outbox relay are `django_celery_beat` rows, so
operators change the interval in the admin. A run that waits in the queue longer than its
interval is pointless (the next one is already coming), so each entry's ``expire_seconds`` is
kept below its interval whenever the row is saved, including after an admin edit.
"""

from __future__ import annotations

from typing import Any

SYNC_TASK = "orders.tasks.sync_pending_orders"
RELAY_TASK = "orders.tasks.relay_outbox"
ACTIVE_TASK = "orders.tasks.sync_active_orders"
ACTIVE_ENTRY = "orders: sync active sub orders"
ENTRIES = {
    "orders: sync non-final orders": SYNC_TASK,
    "orders: relay queued work": RELAY_TASK,
    ACTIVE_ENTRY: ACTIVE_TASK,
}
# Frequent and cheap: after a Redis outage, pending webhook events move within ~30 s (P6).
RELAY_INTERVAL_SECONDS = 15


def expiry_for(interval_seconds: int) -> int:
    """Expire at 80% of the interval (at least one second)."""
    return max(1, int(interval_seconds * 0.8))


def ensure_entries(periodic_task: Any, interval_schedule: Any, sync_seconds: int) -> None:
    """Create the two entries if missing (data migration; models passed in by the caller)."""
    for name, task, seconds in (
        ("orders: sync non-final orders", SYNC_TASK, sync_seconds),
        ("orders: relay queued work", RELAY_TASK, RELAY_INTERVAL_SECONDS),
    ):
        if periodic_task.objects.filter(name=name).exists():
            continue
        interval, _ = interval_schedule.objects.get_or_create(every=seconds, period="seconds")
        periodic_task.objects.create(
            name=name, task=task, interval=interval, expire_seconds=expiry_for(seconds)
        )


def ensure_active_entry(periodic_task: Any, interval_schedule: Any, seconds: int) -> None:
    """Create the short-cadence sync entry if missing (``ORDERS_SYNC_ACTIVE_SECONDS``)."""
    if periodic_task.objects.filter(name=ACTIVE_ENTRY).exists():
        return
    interval, _ = interval_schedule.objects.get_or_create(every=seconds, period="seconds")
    periodic_task.objects.create(
        name=ACTIVE_ENTRY, task=ACTIVE_TASK, interval=interval, expire_seconds=expiry_for(seconds)
    )


def clamp_expiry(sender: Any, instance: Any, **kwargs: Any) -> None:
    """pre_save of PeriodicTask: keep ``expire_seconds`` below the interval of our entries."""
    if instance.task not in ENTRIES.values() or instance.interval is None:
        return
    seconds = _interval_seconds(instance.interval)
    if seconds and (not instance.expire_seconds or instance.expire_seconds >= seconds):
        instance.expire_seconds = expiry_for(seconds)
        instance.expires = None


def _interval_seconds(interval: Any) -> int:
    factors = {"microseconds": 1e-6, "seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
    return int(interval.every * factors.get(interval.period, 1))
