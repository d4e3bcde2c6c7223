"""One placing mechanism for every order intent: single number orders and bulk orders.

An intent is a row (`NumberOrder` or `BulkOrder`) whose ``customer_reference`` is the UUID minted
in the order form (UNIQUE). Its way to Telnyx (P9, P10, P14, P15, P17, P18, P22, P49, P50):

1. `create_intent` checks the daily cap under a per-person lock (two requests at once cannot
   both pass it), creates the row (a second POST with the same intent finds it) and, unless a
   second person must approve it, writes its outbox job in the same transaction.
2. `approve`: a holder of ``orders.approve_numberorder`` other than the orderer releases it.
3. `place` (the task) takes a session advisory lock on the row, counts the attempt before
   anything else (a crash loop stops, P22), looks the order up by ``customer_reference`` when
   an earlier try may have reached Telnyx, and only then POSTs.
4. Permanent refusals end as ``failed``; transient ones are retried by the task. No intent that
   may have reached Telnyx ends ``failed_exhausted`` or ``dead`` without a look-up first: if
   Telnyx has the order it is adopted, and if the look-up itself fails the intent stays
   ``unknown`` and its outbox job comes back until Telnyx answers (P50).

What differs between the two kinds (how to find, create and adopt) is a `Placement`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model, Sum
from django.utils import timezone

from notifications.events import Event
from notifications.notify import notify
from orders.models import (
    PLACING_ACTIVE_STATES,
    BulkOrder,
    NumberOrder,
    PlacingState,
)
from portal import audit, outbox
from portal.locks import advisory_lock, transaction_lock
from portal.telnyx.errors import AmbiguousCreateError, TelnyxError

log = logging.getLogger(__name__)

APPROVE_PERMISSION = "orders.approve_numberorder"
# Intents that certainly bought nothing: they do not count against the daily cap. Every other
# state, ``unknown`` included, counts as spent (P50).
NOTHING_BOUGHT = (PlacingState.FAILED, PlacingState.FAILED_EXHAUSTED, PlacingState.DEAD)


SAVED_NOT_SENT = (
    "Saved. The task queue is not reachable right now; the order will be placed at Telnyx as "
    "soon as it is back. Nothing else to do."
)


class PlacingRefused(Exception):
    """The intent cannot be created or approved; ``str()`` is shown to the user."""


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

    def as_fields(self) -> dict[str, str]:
        return {
            "connection_id": self.connection_id,
            "messaging_profile_id": self.messaging_profile_id,
            "billing_group_id": self.billing_group_id,
        }


@dataclass(frozen=True)
class Placement:
    """How one kind of intent is placed; the cycle around it is the same for every kind."""

    model: type[Model]
    job: outbox.Kind
    audit_prefix: str
    #: The order Telnyx has for this intent's reference, or None (raises TelnyxError).
    find: Callable[[Any], Any]
    #: POST the intent (raises TelnyxError, AmbiguousCreateError).
    create: Callable[[Any], Any]
    #: Store what Telnyx created and move the intent to ``placed``.
    adopt: Callable[[Any, Any], None]
    #: Record a permanent refusal's details on the row before it ends ``failed``.
    refused: Callable[[Any, TelnyxError], None] | None = None


def _midnight() -> Any:
    return timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)


def numbers_ordered_today(user: Any) -> int:
    """Numbers ``user`` has put into orders and bulk orders since midnight UTC (P15 cap).

    Orders a bulk order produced are counted through their bulk order, once."""
    start = _midnight()
    single = (
        NumberOrder.objects.filter(placed_by=user, created_at__gte=start, bulk_order__isnull=True)
        .exclude(placing_state__in=NOTHING_BOUGHT)
        .aggregate(n=Sum("phone_numbers_count"))["n"]
    )
    bulk = sum(
        b.count_requested
        for b in BulkOrder.objects.filter(placed_by=user, created_at__gte=start).exclude(
            placing_state__in=NOTHING_BOUGHT
        )
    )
    return int(single or 0) + bulk


def needs_approval(count: int) -> bool:
    threshold = int(settings.ORDERS_APPROVAL_THRESHOLD)
    return bool(threshold) and count > threshold


def _not_yours() -> PlacingRefused:
    return PlacingRefused("This order form belongs to someone else; reload the page.")


def create_intent(
    placement: Placement,
    user: Any,
    intent: str,
    count: int,
    fields: dict[str, Any],
    request: Any = None,
) -> tuple[Any, bool]:
    """Create the intent, or return the one this form already created (double click).

    Returns ``(row, created)``; the outbox job is written only with a new, unapproved-needless
    row, so a repeated POST never publishes a second task."""
    model: Any = placement.model
    existing = model.objects.filter(customer_reference=intent).first()
    if existing is not None:
        if existing.placed_by_id != getattr(user, "pk", None):
            raise _not_yours()
        return existing, False
    state = PlacingState.AWAITING_APPROVAL if needs_approval(count) else PlacingState.QUEUED
    cap = int(settings.ORDERS_DAILY_NUMBER_CAP)
    with transaction.atomic():
        # One check-then-insert per person at a time: two requests cannot both pass the cap.
        transaction_lock("orders.daily_cap", int(getattr(user, "pk", 0) or 0))
        if numbers_ordered_today(user) + count > cap:
            raise PlacingRefused(
                f"That would exceed the daily limit of {cap:,} numbers per person."
            )
        row, created = model.objects.get_or_create(
            customer_reference=intent,
            defaults={"placed_by": user, "placing_state": state, **fields},
        )
        if created:
            audit.record(
                user,
                f"{placement.audit_prefix}_intent_created",
                target=row,
                request=request,
                numbers=count,
                state=state,
            )
            if state == PlacingState.QUEUED:
                outbox.enqueue(placement.job, row.pk)
            else:
                notify(Event.APPROVAL, row, f"intent:{row.pk}", requester=user)
    if row.placed_by_id != getattr(user, "pk", None):
        raise _not_yours()  # another person's request created it first
    return row, created


def approve(placement: Placement, row: Any, approver: Any, request: Any = None) -> bool:
    """A second person releases a large intent (P15). False if it was not awaiting approval."""
    if not approver.has_perm(APPROVE_PERMISSION):
        raise PlacingRefused("Only a compliance manager can approve orders.")
    if row.placed_by_id == getattr(approver, "pk", None):
        raise PlacingRefused("You cannot approve your own order.")
    model: Any = placement.model
    with transaction.atomic():
        moved = model.objects.filter(
            pk=row.pk, placing_state=PlacingState.AWAITING_APPROVAL
        ).update(placing_state=PlacingState.QUEUED, approved_by=approver)
        if moved:
            audit.record(
                approver, f"{placement.audit_prefix}_approved", target=row, request=request
            )
            outbox.enqueue(placement.job, row.pk)
    return bool(moved)


def waiting_for_broker(placement: Placement, row: Any) -> bool:
    """True when the intent is saved but could not be handed to the queue yet."""
    return outbox.deferred(placement.job, row.pk)


def place(placement: Placement, pk: int) -> str:
    """Run one placing attempt; returns the resulting state (or ``busy``/``missing``).

    Raises `RetryLater` for transient failures (the task retries with backoff)."""
    with advisory_lock(placement.job.name, pk) as acquired:
        if not acquired:
            log.info("%s %s is being placed by another worker", placement.job.name, pk)
            return "busy"
        return _place_locked(placement, pk)


def _place_locked(placement: Placement, pk: int) -> str:
    model: Any = placement.model
    row = model.objects.filter(pk=pk).first()
    if row is None or row.placing_state not in PLACING_ACTIVE_STATES:
        return row.placing_state if row else "missing"
    previous_state = row.placing_state
    # Count the attempt before doing anything: a task that kills its worker still counts (P22).
    attempts = row.placing_attempts + 1
    if attempts > int(settings.ORDERS_PLACING_MAX_ATTEMPTS):
        return settle(placement, row, PlacingState.DEAD, "Stopped after too many attempts.")
    model.objects.filter(pk=pk).update(
        placing_attempts=attempts,
        placing_state=PlacingState.PLACING,
        placing_touched_at=timezone.now(),
    )
    row.placing_attempts = attempts
    try:
        remote = None
        if attempts > 1 or previous_state != PlacingState.QUEUED:
            # An earlier attempt may have reached Telnyx: look before buying again (P10).
            remote = placement.find(row)
        if remote is None:
            remote = placement.create(row)
    except AmbiguousCreateError as exc:
        model.objects.filter(pk=pk).update(
            placing_state=PlacingState.UNKNOWN, placing_error=str(exc)[:2000]
        )
        raise RetryLater("outcome unknown; reconcile next", countdown=5) from exc
    except TelnyxError as exc:
        if exc.permanent:
            if placement.refused is not None:
                placement.refused(row, exc)
            return finish(placement, row, PlacingState.FAILED, str(exc)[:2000])
        # The client reconciled: Telnyx has no order with this reference. Try again later.
        model.objects.filter(pk=pk).update(
            placing_state=PlacingState.QUEUED, placing_error=str(exc)[:2000]
        )
        raise RetryLater(str(exc), countdown=exc.retry_after) from exc
    placement.adopt(row, remote)
    return PlacingState.PLACED


def give_up(placement: Placement, pk: int, reason: str) -> str:
    """Retries are exhausted: settle the intent for the user and the admin (P14, P50)."""
    model: Any = placement.model
    row = model.objects.filter(pk=pk).first()
    if row is None or row.placing_state not in PLACING_ACTIVE_STATES:
        return row.placing_state if row else "missing"
    return settle(placement, row, PlacingState.FAILED_EXHAUSTED, reason)


def settle(placement: Placement, row: Any, final_state: str, reason: str) -> str:
    """End an active intent as ``final_state``, unless Telnyx has the order (then adopt it) or
    cannot say (then it stays ``unknown`` and the outbox job comes back to ask again)."""
    if row.placing_attempts > 0:  # a POST may have reached Telnyx
        try:
            remote = placement.find(row)
        except TelnyxError as exc:
            placement.model.objects.filter(  # type: ignore[attr-defined]
                pk=row.pk, placing_state__in=PLACING_ACTIVE_STATES
            ).update(
                placing_state=PlacingState.UNKNOWN,
                placing_error=(
                    f"{reason} Telnyx could not say whether it has the order ({exc}); "
                    "the portal keeps asking."
                )[:2000],
            )
            return PlacingState.UNKNOWN
        if remote is not None:
            placement.adopt(row, remote)
            return PlacingState.PLACED
    return finish(placement, row, final_state, reason)


def finish(placement: Placement, row: Any, state: str, error: str) -> str:
    """Record a final failure state (conditional: only an active intent moves)."""
    moved = placement.model.objects.filter(  # type: ignore[attr-defined]
        pk=row.pk, placing_state__in=PLACING_ACTIVE_STATES
    ).update(placing_state=state, placing_error=error, placing_finished_at=timezone.now())
    if moved:
        audit.record(
            row.placed_by, f"{placement.audit_prefix}_{state}", target=row, error=error[:200]
        )
    return state


def mark_placed(placement: Placement, row: Any, telnyx_id: str, **details: Any) -> None:
    """The last step of every adopt: ``placed``, when, and the audit entry."""
    moved = placement.model.objects.filter(  # type: ignore[attr-defined]
        pk=row.pk, placing_state__in=(*PLACING_ACTIVE_STATES, *NOTHING_BOUGHT)
    ).update(placing_state=PlacingState.PLACED, placing_finished_at=timezone.now())
    if moved:
        audit.record(
            row.placed_by,
            f"{placement.audit_prefix}_placed",
            target=row,
            telnyx_id=telnyx_id,
            **details,
        )
