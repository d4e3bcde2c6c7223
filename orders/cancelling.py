"""Cancelling a pending sub order at Telnyx, with the reason kept and audited.

Telnyx can only cancel a whole sub order (``PATCH /sub_number_orders/{id}/cancel``) and only
while it is ``pending``; there is no cancel for a parent order or a single number.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from orders.models import ChangeSource, SubNumberOrder
from orders.sync import refresh_sub_order
from portal import audit
from portal.telnyx import get_client
from portal.telnyx.errors import TelnyxError


class CancelRefused(Exception):
    """The sub order is not pending (any more)."""


ANY = "orders.cancel_subnumberorder"
OWN = "orders.cancel_own_subnumberorder"


def may_cancel(user: Any, sub: SubNumberOrder) -> bool:
    """Who may cancel is a role permission: any sub order (managers), or the sub orders of
    orders the user placed (staff)."""
    if user.has_perm(ANY):
        return True
    return bool(user.has_perm(OWN) and sub.number_order.placed_by_id == user.pk)


def cancel_sub_order(user: Any, sub: SubNumberOrder, reason: str, request: Any = None) -> None:
    """Cancel at Telnyx, then record who, when and why; raises `TelnyxError` on refusal."""
    if not sub.can_cancel:
        raise CancelRefused(
            f"Only a pending sub order can be cancelled (this one is {sub.status})."
        )
    get_client().cancel_sub_number_order(sub.telnyx_id)
    SubNumberOrder.objects.filter(pk=sub.pk).update(
        cancel_reason=reason, cancelled_by=user, cancelled_at=timezone.now()
    )
    audit.record(
        user,
        "orders.sub_order_cancelled",
        target=sub,
        request=request,
        telnyx_id=sub.telnyx_id,
        reason=reason,
    )
    sub.refresh_from_db()
    try:
        refresh_sub_order(sub, source=ChangeSource.USER)
    except TelnyxError:
        # Cancelled at Telnyx; the periodic sync will mirror the new status.
        SubNumberOrder.objects.filter(pk=sub.pk, status="pending").update(status="cancelled")
