"""No order Telnyx sold is invisible (P50): whatever Telnyx created for us, we adopt.

A POST can commit at Telnyx and still look failed here (the answer dropped, a 5xx after the
commit, the worker killed, retries exhausted). Placing never gives up without a look-up
(`orders.intents.settle`), and two more nets catch the rest:

* `reconcile_recent_orders` (run by every periodic sync) lists the orders Telnyx created in the
  last ``ORDERS_RECONCILE_WINDOW_HOURS`` and adopts each one whose ``customer_reference`` is an
  intent of ours without a Telnyx id, whatever state that intent ended in. An order carrying no
  reference of ours is reported once (log and audit trail) for a manager to look at, and so
  is a second order carrying the reference of an intent that already has one.
* `adopt_from_webhook`: a webhook about an order we do not have triggers the same look-up.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from orders import bulk, placing
from orders.models import BulkOrder, NumberOrder
from portal import audit, outbox
from portal.telnyx import get_client
from portal.telnyx.errors import NotFoundError

log = logging.getLogger(__name__)

ADOPTED = "adopted"
KNOWN = "known"
FOREIGN = "foreign"
DUPLICATE = "duplicate"


def reconcile_recent_orders() -> dict[str, int]:
    """Adopt every recent Telnyx order that carries one of our references (raises TelnyxError)."""
    since = timezone.now() - timedelta(hours=int(settings.ORDERS_RECONCILE_WINDOW_HOURS))
    counts = {ADOPTED: 0, KNOWN: 0, FOREIGN: 0, DUPLICATE: 0}
    known_ids = set(
        NumberOrder.objects.filter(telnyx_id__isnull=False, created_at__gte=since).values_list(
            "telnyx_id", flat=True
        )
    )
    for remote in get_client().iter_number_orders(
        created_at__gt=since.isoformat().replace("+00:00", "Z")
    ):
        if remote.id in known_ids:
            counts[KNOWN] += 1
            continue
        counts[consider(remote)] += 1
    return counts


def consider(remote: Any) -> str:
    """Adopt ``remote`` if it is ours and not mirrored yet; report it if it is not ours."""
    if NumberOrder.objects.filter(telnyx_id=remote.id).exists():
        return KNOWN
    reference = remote.customer_reference or ""
    intent = NumberOrder.objects.filter(customer_reference=reference, telnyx_id__isnull=True)
    order = intent.first() if reference else None
    if order is not None:
        log.warning(
            "adopting Telnyx order %s for intent %s (%s)", remote.id, order.pk, order.placing_state
        )
        placing.adopt(order, get_client().get_number_order(str(remote.id)))
        outbox.done(placing.JOB, order.pk)
        return ADOPTED
    placed = NumberOrder.objects.filter(customer_reference=reference).first() if reference else None
    if placed is not None:
        # A second order with the reference of an intent that already has one: a POST Telnyx
        # committed after we had given it up. Numbers are bought twice; a manager must decide.
        report(remote, "orders.duplicate_order_seen", intent=str(placed.public_id))
        return DUPLICATE
    parent = BulkOrder.objects.filter(customer_reference=reference).first() if reference else None
    if parent is not None:
        # An order a bulk order produced: the bulk order's own refresh mirrors it once the bulk
        # order is adopted.
        if not parent.telnyx_id:
            found = bulk.PLACEMENT.find(parent)
            if found is not None:
                bulk.PLACEMENT.adopt(parent, found)
                outbox.done(bulk.JOB, parent.pk)
                return ADOPTED
        return KNOWN
    report(remote, "orders.foreign_order_seen")
    return FOREIGN


def report(remote: Any, action: str, **details: str) -> None:
    """An order at Telnyx that no intent of ours explains (or a second one for an intent):
    tell a manager once, in the log and the audit trail."""
    if not cache.add(f"orders.reconcile.reported:{remote.id}", 1, timeout=7 * 24 * 3600):
        return
    log.warning(
        "Telnyx order %s (%s numbers) is not an order this portal placed (%s); check it",
        remote.id,
        remote.phone_numbers_count,
        action,
    )
    audit.record(
        None,
        action,
        telnyx_id=str(remote.id),
        numbers=remote.phone_numbers_count or 0,
        status=remote.status or "",
        **details,
    )


def adopt_from_webhook(telnyx_id: str, customer_reference: str) -> NumberOrder | None:
    """A webhook names an order we do not have (or have no Telnyx id for): look it up.

    Returns the adopted order, or None when it is not ours (then it is reported)."""
    client = get_client()
    remote = None
    if telnyx_id:
        try:
            remote = client.get_number_order(telnyx_id)
        except NotFoundError:
            return None
    elif customer_reference:
        found = client.find_number_orders(customer_reference=customer_reference)
        remote = client.get_number_order(str(found[0].id)) if found else None
    if remote is None:
        return None
    outcome = consider(remote)
    if outcome in (FOREIGN, DUPLICATE):
        return None
    return NumberOrder.objects.filter(telnyx_id=remote.id).first()
