"""Placing a single number order at Telnyx exactly once: the number-order `Placement`.

The cycle (intent, approval, outbox, lock, look before POST, give up only after a look-up) is
`orders.intents`, shared with bulk orders; this module says how a number order is created,
found and adopted, and maps Telnyx's refusals to the numbers they are about.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from orders import group_needs, intents
from orders.intents import (
    OrderOptions,
    PlacingRefused,
    RetryLater,
    needs_approval,
    numbers_ordered_today,
)
from orders.mirror import notify_completed, requirement_states
from orders.models import ChangeSource, NumberOrder, OrderedNumber
from orders.selection import SelectedNumber, Selection, totals
from orders.timestamps import parse_ts
from portal import audit, outbox
from portal.telnyx import get_client
from portal.telnyx.errors import TelnyxError

# The placing API views and tests use; the shared pieces are re-exported from orders.intents.
__all__ = [
    "JOB",
    "PLACEMENT",
    "OrderOptions",
    "PlacingRefused",
    "RetryLater",
    "adopt",
    "approve",
    "create_intent",
    "errors_per_number",
    "give_up",
    "needs_approval",
    "numbers_ordered_today",
    "place",
    "split_order",
    "waiting_for_broker",
]

log = logging.getLogger(__name__)

_POINTER_INDEX = re.compile(r"/phone_numbers/(\d+)")

JOB = outbox.Kind("orders.place", ("orders.tasks.place_number_order",))


def _find(order: NumberOrder) -> Any:
    found = get_client().find_number_orders(customer_reference=order.customer_reference)
    return found[0] if found else None


def _entry(number: dict[str, Any]) -> dict[str, str]:
    """One ``phone_numbers[]`` item: the group chosen on the review page travels with it."""
    entry = {"phone_number": number["phone_number"]}
    if number.get("requirement_group_id"):
        entry["requirement_group_id"] = str(number["requirement_group_id"])
    return entry


def _create(order: NumberOrder) -> Any:
    return get_client().create_number_order(
        phone_numbers=[_entry(n) for n in order.requested_numbers],
        customer_reference=order.customer_reference,
        connection_id=order.connection_id or None,
        messaging_profile_id=order.messaging_profile_id or None,
        billing_group_id=order.billing_group_id or None,
    )


def _refused(order: NumberOrder, exc: TelnyxError) -> None:
    errors = errors_per_number(exc, order.requested_numbers)
    # The next review warns about a country/type Telnyx wants a group for.
    group_needs.learn_from_refusal(errors, order.requested_numbers)
    NumberOrder.objects.filter(pk=order.pk).update(placing_errors=errors)
    split_after_group_refusal(order, errors)


def split_reference(order: NumberOrder) -> str:
    """The intent id of the order that places the rest of ``order`` (the same every time)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"portal:split:{order.customer_reference}"))


def split_order(order: NumberOrder) -> NumberOrder | None:
    return NumberOrder.objects.filter(customer_reference=split_reference(order)).first()


def split_after_group_refusal(
    order: NumberOrder, errors: list[dict[str, str]]
) -> NumberOrder | None:
    """Telnyx refused the whole order only because some numbers lack a requirement group:
    place the others as one more intent (its reference derives from this one, so a retried
    refusal finds it instead of creating a second). Nothing was bought by the refused order;
    its refused numbers are offered back to the selection on its page."""
    refused = {e.get("phone_number") for e in errors}
    if not errors or "" in refused or not all(group_needs.is_group_refusal(e) for e in errors):
        return None  # another problem too: the person decides
    rest = [n for n in order.requested_numbers if n["phone_number"] not in refused]
    if not rest:
        return None
    upfront, monthly, currency = totals([SelectedNumber.from_dict(n) for n in rest])
    try:
        split, created = intents.create_intent(
            PLACEMENT,
            order.placed_by,
            split_reference(order),
            len(rest),
            {
                "phone_numbers_count": len(rest),
                "requested_numbers": rest,
                "upfront_cost": upfront,
                "monthly_cost": monthly,
                "currency": currency if len(currency) == 3 else "",
                "reservation_id": order.reservation_id,
                "connection_id": order.connection_id,
                "messaging_profile_id": order.messaging_profile_id,
                "billing_group_id": order.billing_group_id,
            },
        )
    except PlacingRefused as exc:
        log.warning("order %s: the others could not be placed again: %s", order.pk, exc)
        return None
    if created:
        audit.record(
            order.placed_by,
            "orders.order_split",
            target=order,
            into=str(split.public_id),
            numbers=len(rest),
            held_back=len(refused),
        )
    return split


def create_intent(
    user: Any,
    intent: str,
    selection: Selection,
    options: OrderOptions,
    reservation_id: int | None = None,
    request: Any = None,
    *,
    groups: Mapping[str, str] | None = None,
    hold: Collection[str] = (),
) -> tuple[NumberOrder, bool]:
    """Create the order intent for the selection, or return the existing one (double click).

    ``groups`` maps a group key (``CH-local``) to the Telnyx requirement group chosen for its
    numbers; it is stored with each requested number, so every retry sends the same body.
    Numbers of the group keys in ``hold`` are left out (they stay in the selection)."""
    existing = NumberOrder.objects.filter(customer_reference=intent).first()
    if existing is not None:
        if existing.placed_by_id != getattr(user, "pk", None):
            raise PlacingRefused("This order form belongs to someone else; reload the page.")
        return existing, False
    numbers = [n for n in selection if n.group_key not in hold]
    if not numbers:
        raise PlacingRefused(
            "Nothing to place: every selected number needs a requirement group first."
            if len(selection)
            else "The selection is empty."
        )
    chosen = groups or {}
    requested = [
        {**n.as_dict(), "requirement_group_id": chosen[n.group_key]}
        if chosen.get(n.group_key)
        else n.as_dict()
        for n in numbers
    ]
    upfront, monthly, currency = totals(numbers)
    return intents.create_intent(
        PLACEMENT,
        user,
        intent,
        len(numbers),
        {
            "phone_numbers_count": len(numbers),
            "requested_numbers": requested,
            "upfront_cost": upfront,
            "monthly_cost": monthly,
            "currency": currency if len(currency) == 3 else "",
            "reservation_id": reservation_id,
            **options.as_fields(),
        },
        request=request,
    )


def approve(order: NumberOrder, approver: Any, request: Any = None) -> bool:
    """A second person releases a large order (P15). Returns False if it was not awaiting."""
    return intents.approve(PLACEMENT, order, approver, request=request)


def waiting_for_broker(order: NumberOrder) -> bool:
    return intents.waiting_for_broker(PLACEMENT, order)


def place(order_id: int) -> str:
    """Run one placing attempt; raises `RetryLater` for transient failures."""
    return intents.place(PLACEMENT, order_id)


def give_up(order_id: int, reason: str) -> str:
    """Retries are exhausted: adopt the order if Telnyx has it, else record the failure."""
    return intents.give_up(PLACEMENT, order_id, reason)


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
        if locked.status == "success":  # bought at once (no vetting needed)
            notify_completed(locked)
    try:
        sync.refresh_order(NumberOrder.objects.get(pk=order.pk), source=ChangeSource.PLACING)
    except TelnyxError:
        # The order is placed; the periodic sync fills in sub orders later.
        log.warning("order %s placed but its sub orders could not be fetched yet", order.pk)
    # "Placed" only once the sub orders are mirrored, so the page the poll reloads shows them.
    intents.mark_placed(PLACEMENT, order, str(telnyx_order.id), numbers=len(requested))


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
                "pointer": err.pointer or "",
            }
        )
    if not out:
        out.append({"phone_number": "", "code": "", "title": str(exc), "detail": ""})
    return out


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except ArithmeticError:
        return None


PLACEMENT = intents.Placement(
    model=NumberOrder,
    job=JOB,
    audit_prefix="orders.order",
    find=_find,
    create=_create,
    adopt=adopt,
    refused=_refused,
)
