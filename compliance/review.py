"""What a sub order's compliance looks like right now: per number and per requirement status,
declined requirements with the admin comments that explain them, and the deadline.

Telnyx's per-requirement statuses are ``awaiting-value``, ``pending-approval``, ``approved`` and
``declined``; we show them as pending, under review, approved and declined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from compliance.models import RequirementType, Submission
from orders.models import OrderedNumber, SubNumberOrder, SubOrderComment

STATUS_LABELS = {
    "awaiting-value": ("Pending: value needed", "badge-warn"),
    "pending-approval": ("Under review", "badge-info"),
    "approved": ("Approved", "badge-ok"),
    "declined": ("Declined", "badge-error"),
}
UNKNOWN = ("Pending", "badge-neutral")


@dataclass
class RequirementState:
    requirement_id: str
    label: str
    field_type: str
    status: str
    status_label: str
    css: str

    @property
    def declined(self) -> bool:
        return self.status == "declined"


@dataclass
class NumberState:
    number: OrderedNumber
    requirements: list[RequirementState] = field(default_factory=list)

    @property
    def declined(self) -> list[RequirementState]:
        return [r for r in self.requirements if r.declined]

    @property
    def deadline(self) -> datetime | None:
        return self.number.deadline


def requirement_status(item: dict[str, Any]) -> str:
    status = item.get("status") or ""
    if not status:
        status = "pending-approval" if item.get("has_value") else "awaiting-value"
    return status


def number_states(
    sub_order: SubNumberOrder, types: dict[str, RequirementType]
) -> list[NumberState]:
    states = []
    for number in sub_order.numbers.order_by("phone_number"):
        state = NumberState(number=number)
        for item in number.regulatory_requirements or []:
            rid = str(item.get("requirement_id", ""))
            status = requirement_status(item)
            label, css = STATUS_LABELS.get(status, UNKNOWN)
            row = types.get(rid)
            state.requirements.append(
                RequirementState(
                    requirement_id=rid,
                    label=row.name if row else f"Requirement {rid[:8]}",
                    field_type=item.get("field_type") or (row.field_type if row else ""),
                    status=status,
                    status_label=label,
                    css=css,
                )
            )
        states.append(state)
    return states


def declined_ids(sub_order: SubNumberOrder, number: OrderedNumber | None = None) -> set[str]:
    numbers = [number] if number is not None else list(sub_order.numbers.all())
    return {
        str(item.get("requirement_id"))
        for n in numbers
        for item in (n.regulatory_requirements or [])
        if requirement_status(item) == "declined"
    }


def admin_comments(sub_order: SubNumberOrder) -> list[SubOrderComment]:
    return list(sub_order.comments.filter(commenter_type="admin").order_by("-telnyx_created_at"))


def latest_values(sub_order: SubNumberOrder, number: OrderedNumber | None = None) -> dict[str, Any]:
    """The values of the latest submission for the target (falling back to the sub order's)."""
    qs = Submission.objects.filter(sub_order=sub_order).exclude(status=Submission.Status.REJECTED)
    if number is not None:
        own = qs.filter(number=number).order_by("-created_at").first()
        if own is not None:
            return dict(own.values)
    latest = qs.filter(number__isnull=True).order_by("-created_at").first()
    return dict(latest.values) if latest else {}
