"""Who is told about a fact: nobody but the person whose work it is.

About a sub order (or something of one: a submission, a number) -> its assignee, or, while
nobody owns it, whoever placed the order. About an order -> whoever placed it. About a
requirement group -> its assignee, else whoever sent it for approval, else who built it. Something
waiting for approval -> every manager who may approve that kind of thing, except the person
who asked for it (P15: nobody approves their own). Records are read by attribute, so this
module imports neither ``orders`` nor ``compliance``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from notifications.events import Event

# The permission that lets a manager decide each kind of waiting record (portal/roles.py).
APPROVERS: dict[str, str] = {
    "compliance.submission": "compliance.approve_submission",
    "orders.numberorder": "orders.approve_numberorder",
    "orders.bulkorder": "orders.approve_numberorder",
    # A requirement group waits for a second manager, under the same rule as submissions.
    "compliance.requirementgrouplink": "compliance.approve_submission",
}
DEFAULT_APPROVER = "compliance.approve_submission"


def holders(permission: str) -> list[Any]:
    """Active users holding ``permission`` through a group or directly."""
    app_label, codename = permission.split(".", 1)
    through_group = Q(
        groups__permissions__codename=codename,
        groups__permissions__content_type__app_label=app_label,
    )
    direct = Q(
        user_permissions__codename=codename,
        user_permissions__content_type__app_label=app_label,
    )
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(through_group | direct)
        .distinct()
        .order_by("pk")
    )


def sub_order_of(record: Any) -> Any:
    """The sub order a record is about (itself, or its ``sub_order``), or None."""
    if hasattr(record, "number_order") and hasattr(record, "assignee"):
        return record
    return getattr(record, "sub_order", None)


def owner_of(record: Any) -> Any:
    """The person whose work ``record`` is: the sub order's assignee, else the placer."""
    if record._meta.label_lower == "compliance.requirementgrouplink":
        return record.assignee or record.requested_by or record.created_by
    sub_order = sub_order_of(record)
    if sub_order is not None:
        return sub_order.assignee or sub_order.number_order.placed_by
    return getattr(record, "assignee", None) or getattr(record, "placed_by", None)


def recipients(event: str, record: Any, requester: Any = None) -> list[Any]:
    """The users to notify of ``event`` about ``record`` (``requester``: who asked)."""
    if event == Event.APPROVAL:
        permission = APPROVERS.get(record._meta.label_lower, DEFAULT_APPROVER)
        requester_id = getattr(requester, "pk", None)
        return [u for u in holders(permission) if u.pk != requester_id]
    owner = owner_of(record)
    if owner is None or not owner.is_active:
        return []
    return [owner]
