"""US/CA bulk ordering: one Telnyx inexplicit number order, followed until its groups settle.

Telnyx searches, reserves and orders for us; each ordering group ends ``success``,
``partial_success`` (fewer found than asked, strategy ``always``) or ``failed``, and lists the
number orders it produced. Those become ordinary `NumberOrder` rows (``bulk_order`` set), so
the order screens, sync and compliance work on them unchanged. Placing follows the same
exactly-once pattern as single orders (intent row, advisory lock, look before re-sending).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.mirror import g, plain
from orders.models import (
    PLACING_ACTIVE_STATES,
    BulkOrder,
    ChangeSource,
    NumberOrder,
    PlacingState,
)
from orders.placing import (
    OrderOptions,
    PlacingRefused,
    RetryLater,
    advisory_lock,
    needs_approval,
    numbers_ordered_today,
)
from orders.timestamps import parse_ts
from portal import audit
from portal.telnyx import get_client
from portal.telnyx.errors import AmbiguousCreateError, TelnyxError

log = logging.getLogger(__name__)

FINAL_GROUP_STATUSES = ("success", "partial_success", "failed")


def create_intent(
    user: Any,
    intent: str,
    groups: list[dict[str, Any]],
    options: OrderOptions,
    request: Any = None,
) -> tuple[BulkOrder, bool]:
    """Create the bulk order intent (or return the one this form already created)."""
    existing = BulkOrder.objects.filter(customer_reference=intent).first()
    if existing is not None:
        if existing.placed_by_id != getattr(user, "pk", None):
            raise PlacingRefused("This order form belongs to someone else; reload the page.")
        return existing, False
    count = sum(int(grp["count_requested"]) for grp in groups)
    if count > 10_000:
        raise PlacingRefused("A bulk order can request at most 10,000 numbers.")
    cap = int(settings.ORDERS_DAILY_NUMBER_CAP)
    if numbers_ordered_today(user) + _bulk_requested_today(user) + count > cap:
        raise PlacingRefused(f"That would exceed the daily limit of {cap:,} numbers per person.")
    state = PlacingState.AWAITING_APPROVAL if needs_approval(count) else PlacingState.QUEUED
    with transaction.atomic():
        bulk, created = BulkOrder.objects.get_or_create(
            customer_reference=intent,
            defaults={
                "placed_by": user,
                "placing_state": state,
                "requested_groups": groups,
                "connection_id": options.connection_id,
                "messaging_profile_id": options.messaging_profile_id,
                "billing_group_id": options.billing_group_id,
            },
        )
        if created:
            audit.record(
                user, "orders.bulk_intent_created", target=bulk, request=request, numbers=count
            )
            if state == PlacingState.QUEUED:
                publish(bulk.pk)
    return bulk, created


def _bulk_requested_today(user: Any) -> int:
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    rows = BulkOrder.objects.filter(placed_by=user, created_at__gte=start).exclude(
        placing_state__in=[PlacingState.FAILED, PlacingState.DEAD]
    )
    return sum(b.count_requested for b in rows)


def approve(bulk: BulkOrder, approver: Any, request: Any = None) -> bool:
    if bulk.placed_by_id == getattr(approver, "pk", None):
        raise PlacingRefused("You cannot approve your own order.")
    with transaction.atomic():
        moved = BulkOrder.objects.filter(
            pk=bulk.pk, placing_state=PlacingState.AWAITING_APPROVAL
        ).update(placing_state=PlacingState.QUEUED)
        if moved:
            audit.record(approver, "orders.bulk_approved", target=bulk, request=request)
            publish(bulk.pk)
    return bool(moved)


def publish(bulk_id: int) -> None:
    def send() -> None:
        from orders.tasks import place_bulk_order  # tasks imports this module

        try:
            place_bulk_order.delay(bulk_id)
        except Exception:  # broker down: the relay re-publishes queued rows
            log.warning("could not publish bulk order %s; the relay will retry", bulk_id)

    transaction.on_commit(send)


def place(bulk_id: int) -> str:
    """One placing attempt; raises `RetryLater` on transient failures."""
    with advisory_lock("orders.bulk", bulk_id) as acquired:
        if not acquired:
            return "busy"
        bulk = BulkOrder.objects.filter(pk=bulk_id).first()
        if bulk is None or bulk.placing_state not in PLACING_ACTIVE_STATES:
            return bulk.placing_state if bulk else "missing"
        attempts = bulk.placing_attempts + 1
        if attempts > int(settings.ORDERS_PLACING_MAX_ATTEMPTS):
            _finish(bulk, PlacingState.DEAD, "Stopped after too many attempts.")
            return PlacingState.DEAD
        previous = bulk.placing_state
        BulkOrder.objects.filter(pk=bulk.pk).update(
            placing_attempts=attempts,
            placing_state=PlacingState.PLACING,
            placing_touched_at=timezone.now(),
        )
        client = get_client()
        try:
            created = None
            if attempts > 1 or previous != PlacingState.QUEUED:
                created = _find(bulk.customer_reference)
            if created is None:
                created = client.create_inexplicit_order(
                    ordering_groups=bulk.requested_groups,
                    customer_reference=bulk.customer_reference,
                    connection_id=bulk.connection_id or None,
                    messaging_profile_id=bulk.messaging_profile_id or None,
                    billing_group_id=bulk.billing_group_id or None,
                )
        except AmbiguousCreateError as exc:
            BulkOrder.objects.filter(pk=bulk.pk).update(
                placing_state=PlacingState.UNKNOWN, placing_error=str(exc)[:2000]
            )
            raise RetryLater("outcome unknown; reconcile next", countdown=5) from exc
        except TelnyxError as exc:
            if exc.permanent:
                _finish(bulk, PlacingState.FAILED, str(exc)[:2000])
                return PlacingState.FAILED
            BulkOrder.objects.filter(pk=bulk.pk).update(
                placing_state=PlacingState.QUEUED, placing_error=str(exc)[:2000]
            )
            raise RetryLater(str(exc), countdown=exc.retry_after) from exc
        now = timezone.now()
        BulkOrder.objects.filter(pk=bulk.pk).update(
            telnyx_id=str(g(created, "id")),
            placing_state=PlacingState.PLACED,
            placing_error="",
            placed_at=now,
            ordering_groups=plain(g(created, "ordering_groups", [])),
            telnyx_created_at=parse_ts(g(created, "created_at")),
            telnyx_updated_at=parse_ts(g(created, "updated_at")),
            last_synced_at=now,
        )
        audit.record(
            bulk.placed_by, "orders.bulk_placed", target=bulk, telnyx_id=str(g(created, "id"))
        )
        return PlacingState.PLACED


def _find(customer_reference: str) -> Any:
    """The inexplicit order with our reference, if Telnyx has one (its list has no filter)."""
    for candidate in get_client().iter_inexplicit_orders():
        if g(candidate, "customer_reference") == customer_reference:
            return candidate
    return None


def give_up(bulk_id: int, reason: str) -> None:
    bulk = BulkOrder.objects.filter(pk=bulk_id).first()
    if bulk is not None and bulk.placing_state in PLACING_ACTIVE_STATES:
        _finish(bulk, PlacingState.FAILED_EXHAUSTED, reason)


def _finish(bulk: BulkOrder, state: str, error: str) -> None:
    BulkOrder.objects.filter(pk=bulk.pk, placing_state__in=PLACING_ACTIVE_STATES).update(
        placing_state=state, placing_error=error
    )
    audit.record(bulk.placed_by, f"orders.bulk_{state}", target=bulk, error=error[:200])


def refresh(bulk: BulkOrder) -> bool:
    """Re-fetch the bulk order, adopt the number orders it produced; True once settled."""
    from orders.sync import refresh_order

    if not bulk.telnyx_id:
        return False  # not submitted yet: nothing at Telnyx to read
    telnyx = get_client().get_inexplicit_order(bulk.telnyx_id)
    groups = plain(g(telnyx, "ordering_groups", []))
    now = timezone.now()
    if groups != bulk.ordering_groups:
        BulkOrder.objects.filter(pk=bulk.pk).update(
            ordering_groups=groups,
            telnyx_updated_at=parse_ts(g(telnyx, "updated_at")),
            last_synced_at=now,
        )
        bulk.ordering_groups = groups
    for order_id in produced_order_ids(groups):
        order, created = NumberOrder.objects.get_or_create(
            telnyx_id=order_id,
            defaults={
                # Telnyx may give every produced order the bulk's reference: keep ours unique.
                "customer_reference": f"{bulk.customer_reference}/{order_id}",
                "placed_by": bulk.placed_by,
                "placing_state": PlacingState.PLACED,
                "placed_at": now,
                "bulk_order": bulk,
                "connection_id": bulk.connection_id,
                "messaging_profile_id": bulk.messaging_profile_id,
                "billing_group_id": bulk.billing_group_id,
            },
        )
        if created:
            try:
                refresh_order(order, ChangeSource.SYNC)
            except TelnyxError as exc:
                log.warning("bulk %s: order %s not fetched yet (%s)", bulk.pk, order_id, exc)
    return is_settled(groups)


def produced_order_ids(groups: list[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    for group in groups:
        for ref in group.get("orders") or []:
            order_id = ref.get("number_order_id")
            if order_id and order_id not in ids:
                ids.append(str(order_id))
    return ids


def is_settled(groups: list[dict[str, Any]]) -> bool:
    return bool(groups) and all(grp.get("status") in FINAL_GROUP_STATUSES for grp in groups)


def refresh_open_bulk_orders() -> None:
    """Called by the periodic sync: bulk orders whose groups have not settled yet."""
    for bulk in BulkOrder.objects.filter(
        placing_state=PlacingState.PLACED, telnyx_id__isnull=False
    ):
        if is_settled(bulk.ordering_groups):
            continue
        try:
            refresh(bulk)
        except TelnyxError as exc:
            log.warning("bulk order %s could not be refreshed: %s", bulk.pk, exc)


def stale_intents(older_than: timedelta) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(
        BulkOrder.objects.filter(
            Q(placing_touched_at__lt=cutoff)
            | Q(placing_touched_at__isnull=True, created_at__lt=cutoff),
            placing_state__in=PLACING_ACTIVE_STATES,
        ).values_list("pk", flat=True)[:100]
    )


def group_progress(bulk: BulkOrder) -> list[dict[str, Any]]:
    """Rows for the bulk page: requested vs allocated per group, with a percentage."""
    fetched = bulk.ordering_groups or []
    rows = []
    for index, requested in enumerate(bulk.requested_groups):
        got = fetched[index] if index < len(fetched) else {}
        want = int(got.get("count_requested") or requested.get("count_requested") or 0)
        allocated = int(got.get("count_allocated") or 0)
        rows.append(
            {
                "index": index + 1,
                "requested": requested,
                "count_requested": want,
                "count_allocated": allocated,
                "percent": int(100 * allocated / want) if want else 0,
                "status": got.get("status") or "",
                "error_reason": got.get("error_reason") or "",
                "order_ids": [r.get("number_order_id") for r in got.get("orders") or []],
            }
        )
    return rows
