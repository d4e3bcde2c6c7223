"""US/CA bulk ordering: one Telnyx inexplicit number order, followed until its groups settle.

Telnyx searches, reserves and orders for us; each ordering group ends ``success``,
``partial_success`` (fewer found than asked, strategy ``always``) or ``failed``, and lists the
number orders it produced. Those become ordinary `NumberOrder` rows (``bulk_order`` set), so
the order screens, sync and compliance work on them unchanged. Placing is the same mechanism
as for single orders (`orders.intents`); this module says how a bulk order is created, found
and adopted.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.utils import timezone

from orders import intents
from orders.intents import OrderOptions, PlacingRefused
from orders.mirror import g, plain
from orders.models import (
    BulkOrder,
    ChangeSource,
    NumberOrder,
    PlacingState,
)
from orders.timestamps import parse_ts
from portal import outbox
from portal.telnyx import get_client
from portal.telnyx.errors import TelnyxError

log = logging.getLogger(__name__)

FINAL_GROUP_STATUSES = ("success", "partial_success", "failed")

JOB = outbox.Kind("orders.place_bulk", ("orders.tasks.place_bulk_order",))


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
    if not count:
        raise PlacingRefused("The bulk order requests no numbers.")
    limit = int(settings.ORDERS_BULK_MAX_NUMBERS)
    if count > limit:
        raise PlacingRefused(f"A bulk order can request at most {limit:,} numbers.")
    return intents.create_intent(
        PLACEMENT,
        user,
        intent,
        count,
        {"requested_groups": groups, **options.as_fields()},
        request=request,
    )


def approve(bulk: BulkOrder, approver: Any, request: Any = None) -> bool:
    """A second person releases a large bulk order (P15)."""
    return intents.approve(PLACEMENT, bulk, approver, request=request)


def waiting_for_broker(bulk: BulkOrder) -> bool:
    return intents.waiting_for_broker(PLACEMENT, bulk)


def place(bulk_id: int) -> str:
    """One placing attempt; raises `RetryLater` on transient failures."""
    return intents.place(PLACEMENT, bulk_id)


def give_up(bulk_id: int, reason: str) -> str:
    return intents.give_up(PLACEMENT, bulk_id, reason)


def _create(bulk: BulkOrder) -> Any:
    return get_client().create_inexplicit_order(
        ordering_groups=bulk.requested_groups,
        customer_reference=bulk.customer_reference,
        connection_id=bulk.connection_id or None,
        messaging_profile_id=bulk.messaging_profile_id or None,
        billing_group_id=bulk.billing_group_id or None,
    )


def _find(bulk: BulkOrder) -> Any:
    """The inexplicit order with our reference, if Telnyx has one (its list has no filter)."""
    for candidate in get_client().iter_inexplicit_orders():
        if g(candidate, "customer_reference") == bulk.customer_reference:
            return candidate
    return None


def _adopt(bulk: BulkOrder, created: Any) -> None:
    now = timezone.now()
    BulkOrder.objects.filter(pk=bulk.pk).update(
        telnyx_id=str(g(created, "id")),
        placing_error="",
        placed_at=now,
        ordering_groups=plain(g(created, "ordering_groups", [])),
        telnyx_created_at=parse_ts(g(created, "created_at")),
        telnyx_updated_at=parse_ts(g(created, "updated_at")),
        last_synced_at=now,
    )
    intents.mark_placed(PLACEMENT, bulk, str(g(created, "id")))


PLACEMENT = intents.Placement(
    model=BulkOrder,
    job=JOB,
    audit_prefix="orders.bulk",
    find=_find,
    create=_create,
    adopt=_adopt,
)


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
