"""Placing a number order at Telnyx exactly once, whatever clicks, retries or crashes happen.

The order intent is a `NumberOrder` row whose ``customer_reference`` is the UUID minted in the
review form (UNIQUE). The sequence (P9, P10, P14, P17, P22):

1. The view creates the row (a second POST with the same intent finds it) and publishes the
   task after commit; the row is the job whose state the progress fragment polls.
2. The task takes a session-level PostgreSQL advisory lock on the row, so a duplicate delivery
   running concurrently backs off; a killed worker's connection drops and frees the lock.
3. Every attempt after the first, and every attempt whose predecessor may have reached Telnyx,
   first looks the order up by ``customer_reference`` and adopts it if it exists; only then
   does it POST. Telnyx has no Idempotency-Key on this endpoint, so this is the only guard.
4. Permanent 4xx errors end the intent as ``failed`` with Telnyx's errors per number;
   transient ones are retried by the task with backoff until ``failed_exhausted``; an attempt
   counter stops a crash loop (``dead``).
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from orders.mirror import requirement_states
from orders.models import (
    PLACING_ACTIVE_STATES,
    ChangeSource,
    NumberOrder,
    OrderedNumber,
    PlacingState,
)
from orders.selection import Selection
from orders.timestamps import parse_ts
from portal import audit
from portal.telnyx import get_client
from portal.telnyx.errors import AmbiguousCreateError, TelnyxError

log = logging.getLogger(__name__)

_POINTER_INDEX = re.compile(r"/phone_numbers/(\d+)")


class PlacingRefused(Exception):
    """The intent cannot be created (empty selection, daily cap, someone else's intent)."""


class RetryLater(Exception):
    """A transient failure: the task should retry after ``countdown`` seconds."""

    def __init__(self, reason: str, countdown: float | None = None) -> None:
        super().__init__(reason)
        self.countdown = countdown


@dataclass(frozen=True)
class OrderOptions:
    connection_id: str = ""
    messaging_profile_id: str = ""
    billing_group_id: str = ""


def numbers_ordered_today(user: Any) -> int:
    """How many numbers ``user`` has put into orders since midnight UTC (P15 daily cap)."""
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    total = (
        NumberOrder.objects.filter(placed_by=user, created_at__gte=start)
        .exclude(placing_state__in=[PlacingState.FAILED, PlacingState.DEAD])
        .aggregate(n=Sum("phone_numbers_count"))["n"]
    )
    return int(total or 0)


def needs_approval(count: int) -> bool:
    threshold = int(settings.ORDERS_APPROVAL_THRESHOLD)
    return bool(threshold) and count > threshold


def create_intent(
    user: Any,
    intent: str,
    selection: Selection,
    options: OrderOptions,
    reservation_id: int | None = None,
    request: Any = None,
) -> tuple[NumberOrder, bool]:
    """Create the order intent for the selection, or return the existing one (double click).

    Returns ``(order, created)``. The placing task is published after commit, only when the
    row was created, so a repeated POST never publishes a second task.
    """
    existing = NumberOrder.objects.filter(customer_reference=intent).first()
    if existing is not None:
        if existing.placed_by_id != getattr(user, "pk", None):
            raise PlacingRefused("This order form belongs to someone else; reload the page.")
        return existing, False
    numbers = list(selection)
    if not numbers:
        raise PlacingRefused("The selection is empty.")
    cap = int(settings.ORDERS_DAILY_NUMBER_CAP)
    if numbers_ordered_today(user) + len(numbers) > cap:
        raise PlacingRefused(f"That would exceed the daily limit of {cap:,} numbers per person.")
    upfront, monthly, currency = selection.totals()
    state = PlacingState.AWAITING_APPROVAL if needs_approval(len(numbers)) else PlacingState.QUEUED
    with transaction.atomic():
        order, created = NumberOrder.objects.get_or_create(
            customer_reference=intent,
            defaults={
                "placed_by": user,
                "placing_state": state,
                "phone_numbers_count": len(numbers),
                "requested_numbers": [n.as_dict() for n in numbers],
                "upfront_cost": upfront,
                "monthly_cost": monthly,
                "currency": currency if len(currency) == 3 else "",
                "connection_id": options.connection_id,
                "messaging_profile_id": options.messaging_profile_id,
                "billing_group_id": options.billing_group_id,
                "reservation_id": reservation_id,
            },
        )
        if created:
            audit.record(
                user,
                "orders.intent_created",
                target=order,
                request=request,
                numbers=len(numbers),
                state=state,
            )
            if state == PlacingState.QUEUED:
                publish(order.pk)
    if not created and order.placed_by_id != getattr(user, "pk", None):
        raise PlacingRefused("This order form belongs to someone else; reload the page.")
    return order, created


def approve(order: NumberOrder, approver: Any, request: Any = None) -> bool:
    """A second person releases a large order (P15). Returns False if it was not awaiting."""
    if order.placed_by_id == getattr(approver, "pk", None):
        raise PlacingRefused("You cannot approve your own order.")
    with transaction.atomic():
        moved = NumberOrder.objects.filter(
            pk=order.pk, placing_state=PlacingState.AWAITING_APPROVAL
        ).update(placing_state=PlacingState.QUEUED, approved_by=approver)
        if moved:
            audit.record(approver, "orders.order_approved", target=order, request=request)
            publish(order.pk)
    return bool(moved)


def publish(order_id: int) -> None:
    """Enqueue placing after the surrounding transaction commits (P17)."""
    transaction.on_commit(lambda: _send(order_id))


def _send(order_id: int) -> None:
    from orders.tasks import place_number_order  # tasks imports this module

    try:
        place_number_order.delay(order_id)
    except Exception:  # the broker is down: the relay re-publishes queued rows (P18)
        log.warning("could not publish placing of order %s; the relay will retry", order_id)


@contextmanager
def advisory_lock(namespace: str, key: int) -> Iterator[bool]:
    """A session-level PostgreSQL advisory lock; yields False if another session holds it.

    Session level (not transaction level) so it spans the HTTP call without holding a
    transaction open; a crashed worker's connection closes and the lock goes with it.
    Other databases (the SQLite file of ``make run``, one worker) get no lock.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    lock_key = (zlib.crc32(namespace.encode()) << 31) ^ key
    lock_key = lock_key % (2**63)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_key])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_key])


def place(order_id: int) -> str:
    """Run one placing attempt; returns the resulting placing state.

    Raises `RetryLater` for transient failures (the task retries with backoff).
    """
    with advisory_lock("orders.place", order_id) as acquired:
        if not acquired:
            log.info("order %s is being placed by another worker", order_id)
            return "busy"
        return _place_locked(order_id)


def _place_locked(order_id: int) -> str:
    order = NumberOrder.objects.filter(pk=order_id).first()
    if order is None or order.placing_state not in PLACING_ACTIVE_STATES:
        return order.placing_state if order else "missing"
    previous_state = order.placing_state
    # Count the attempt before doing anything: a task that kills its worker still counts (P22).
    attempts = order.placing_attempts + 1
    if attempts > int(settings.ORDERS_PLACING_MAX_ATTEMPTS):
        _finish(order, PlacingState.DEAD, "Stopped after too many attempts.")
        return PlacingState.DEAD
    NumberOrder.objects.filter(pk=order.pk).update(
        placing_attempts=attempts,
        placing_state=PlacingState.PLACING,
        placing_touched_at=timezone.now(),
    )
    client = get_client()
    try:
        telnyx_order = None
        if attempts > 1 or previous_state != PlacingState.QUEUED:
            # An earlier attempt may have reached Telnyx: look before buying again (P10).
            found = client.find_number_orders(customer_reference=order.customer_reference)
            telnyx_order = found[0] if found else None
        if telnyx_order is None:
            telnyx_order = client.create_number_order(
                phone_numbers=[
                    {"phone_number": n["phone_number"]} for n in order.requested_numbers
                ],
                customer_reference=order.customer_reference,
                connection_id=order.connection_id or None,
                messaging_profile_id=order.messaging_profile_id or None,
                billing_group_id=order.billing_group_id or None,
            )
    except AmbiguousCreateError as exc:
        NumberOrder.objects.filter(pk=order.pk).update(
            placing_state=PlacingState.UNKNOWN, placing_error=str(exc)[:2000]
        )
        raise RetryLater("outcome unknown; reconcile next", countdown=5) from exc
    except TelnyxError as exc:
        if exc.permanent:
            NumberOrder.objects.filter(pk=order.pk).update(
                placing_errors=errors_per_number(exc, order.requested_numbers)
            )
            order.refresh_from_db()
            _finish(order, PlacingState.FAILED, str(exc)[:2000])
            return PlacingState.FAILED
        NumberOrder.objects.filter(pk=order.pk).update(
            placing_state=PlacingState.QUEUED, placing_error=str(exc)[:2000]
        )
        raise RetryLater(str(exc), countdown=getattr(exc, "retry_after", None)) from exc
    adopt(order, telnyx_order)
    return PlacingState.PLACED


def give_up(order_id: int, reason: str) -> None:
    """Retries are exhausted: record it for the user and the admin (P14)."""
    order = NumberOrder.objects.filter(pk=order_id).first()
    if order is not None and order.placing_state in PLACING_ACTIVE_STATES:
        _finish(order, PlacingState.FAILED_EXHAUSTED, reason)


def _finish(order: NumberOrder, state: str, error: str) -> None:
    NumberOrder.objects.filter(pk=order.pk, placing_state__in=PLACING_ACTIVE_STATES).update(
        placing_state=state, placing_error=error, placing_finished_at=timezone.now()
    )
    audit.record(order.placed_by, f"orders.order_{state}", target=order, error=error[:200])


def adopt(order: NumberOrder, telnyx_order: Any) -> None:
    """Store what Telnyx created for this intent and mirror its sub orders and numbers."""
    from orders import sync

    now = timezone.now()
    requested = {n["phone_number"]: n for n in order.requested_numbers}
    with transaction.atomic():
        locked = NumberOrder.objects.select_for_update().get(pk=order.pk)
        locked.telnyx_id = telnyx_order.id
        locked.status = telnyx_order.status or ""
        locked.requirements_met = telnyx_order.requirements_met
        locked.phone_numbers_count = telnyx_order.phone_numbers_count or len(requested)
        locked.telnyx_created_at = parse_ts(telnyx_order.created_at)
        locked.telnyx_updated_at = parse_ts(telnyx_order.updated_at)
        locked.placing_error = ""
        locked.placed_at = locked.placed_at or now
        locked.last_synced_at = now
        locked.save()
        for item in getattr(telnyx_order, "phone_numbers", None) or []:
            picked = requested.get(item.phone_number, {})
            OrderedNumber.objects.get_or_create(
                telnyx_id=item.id,
                defaults={
                    "number_order": locked,
                    "phone_number": item.phone_number,
                    "country_code": (item.country_code or picked.get("country_code") or "")[:2],
                    "phone_number_type": item.phone_number_type
                    or picked.get("phone_number_type", ""),
                    "locality": picked.get("locality", ""),
                    "status": item.status or "",
                    "requirements_status": item.requirements_status or "",
                    "requirements_met": item.requirements_met,
                    "regulatory_requirements": requirement_states(item.regulatory_requirements),
                    "bundle_id": getattr(item, "bundle_id", None) or "",
                    "upfront_cost": _decimal(picked.get("upfront_cost")),
                    "monthly_cost": _decimal(picked.get("monthly_cost")),
                    "currency": (picked.get("currency") or "")[:3],
                    "last_synced_at": now,
                },
            )
    try:
        sync.refresh_order(NumberOrder.objects.get(pk=order.pk), source=ChangeSource.PLACING)
    except TelnyxError:
        # The order is placed; the periodic sync fills in sub orders later.
        log.warning("order %s placed but its sub orders could not be fetched yet", order.pk)
    # "Placed" only once the sub orders are mirrored, so the page the poll reloads shows them.
    moved = NumberOrder.objects.filter(pk=order.pk, placing_state__in=PLACING_ACTIVE_STATES).update(
        placing_state=PlacingState.PLACED, placing_finished_at=timezone.now()
    )
    if moved:
        audit.record(
            order.placed_by,
            "orders.order_placed",
            target=order,
            telnyx_id=telnyx_order.id,
            numbers=len(requested),
        )


def errors_per_number(exc: TelnyxError, requested: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Attach each Telnyx error to the number it is about (by pointer index or by mention)."""
    phones = [n["phone_number"] for n in requested]
    out = []
    for err in exc.errors or []:
        phone = ""
        match = _POINTER_INDEX.search(err.pointer or "")
        if match and int(match.group(1)) < len(phones):
            phone = phones[int(match.group(1))]
        else:
            text = f"{err.detail or ''} {err.title or ''} {err.parameter or ''}"
            phone = next((p for p in phones if p in text or p.lstrip("+") in text), "")
        out.append(
            {
                "phone_number": phone,
                "code": str(err.code or ""),
                "title": err.title or "",
                "detail": err.detail or "",
            }
        )
    if not out:
        out.append({"phone_number": "", "code": "", "title": str(exc), "detail": ""})
    return out


def stale_intents(older_than: timedelta) -> list[int]:
    """Queued or in-flight intents nobody is working on (their task was lost): for the relay."""
    cutoff = timezone.now() - older_than
    return list(
        NumberOrder.objects.filter(
            Q(placing_touched_at__lt=cutoff)
            | Q(placing_touched_at__isnull=True, created_at__lt=cutoff),
            placing_state__in=PLACING_ACTIVE_STATES,
        ).values_list("pk", flat=True)[:100]
    )


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except ArithmeticError:
        return None
