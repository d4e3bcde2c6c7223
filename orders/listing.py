"""The orders list query: filters, sort, counts per state, in a fixed number of SQL queries.

Country, type and requirements status live on sub orders and numbers, so they filter through
``EXISTS`` subqueries; deadline and needs-action are denormalised on the order by the sync. The
page itself is one query (plus one prefetch of sub orders), the counts one aggregate query:
the query count does not grow with the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from orders.models import NumberOrder, OrderedNumber, PlacingState, SubNumberOrder

STATE_COUNTS = {
    "pending": Q(status="pending"),
    "success": Q(status="success"),
    "failure": Q(status="failure"),
    "cancelled": Q(status="cancelled"),
    "deleted": Q(status="deleted"),
    "awaiting_approval": Q(placing_state=PlacingState.AWAITING_APPROVAL),
    "placing": Q(
        placing_state__in=[PlacingState.QUEUED, PlacingState.PLACING, PlacingState.UNKNOWN]
    ),
    "failed": Q(
        placing_state__in=[PlacingState.FAILED, PlacingState.FAILED_EXHAUSTED, PlacingState.DEAD]
    ),
    "needs_action": Q(needs_action=True),
}
PLACING_FILTERS = {
    "awaiting_approval": [PlacingState.AWAITING_APPROVAL],
    "placing": [PlacingState.QUEUED, PlacingState.PLACING, PlacingState.UNKNOWN],
    "failed": [PlacingState.FAILED, PlacingState.FAILED_EXHAUSTED, PlacingState.DEAD],
}
SORTS = {
    "-created": [F("created_at").desc(), F("pk").desc()],
    "created": [F("created_at").asc(), F("pk").asc()],
    "deadline": [F("next_deadline").asc(nulls_last=True), F("pk").desc()],
    "-deadline": [F("next_deadline").desc(nulls_last=True), F("pk").desc()],
}


@dataclass(frozen=True)
class Filters:
    status: str = ""
    country_code: str = ""
    phone_number_type: str = ""
    requirements_status: str = ""
    placed_by: int | None = None
    deadline_within_days: int | None = None
    needs_action: bool = False
    sort: str = "-created"

    @classmethod
    def from_cleaned(cls, data: dict[str, Any]) -> Filters:
        return cls(
            **{
                k: v
                for k, v in data.items()
                if v not in (None, "") and k in cls.__dataclass_fields__
            }
        )


def by_status(qs: QuerySet[NumberOrder], status: str) -> QuerySet[NumberOrder]:
    """A Telnyx status, or one of our placing groups (``placing``, ``failed``...)."""
    if status in PLACING_FILTERS:
        return qs.filter(placing_state__in=PLACING_FILTERS[status])
    if status == "needs_action":
        return qs.filter(needs_action=True)
    return qs.filter(status=status) if status else qs


def by_sub_orders(
    qs: QuerySet[NumberOrder], country_code: str = "", phone_number_type: str = ""
) -> QuerySet[NumberOrder]:
    """Orders with a sub order of this country and/or number type."""
    if not (country_code or phone_number_type):
        return qs
    subs = SubNumberOrder.objects.filter(number_order=OuterRef("pk"))
    if country_code:
        subs = subs.filter(country_code=country_code)
    if phone_number_type:
        subs = subs.filter(phone_number_type=phone_number_type)
    return qs.filter(Exists(subs))


def by_requirements_status(qs: QuerySet[NumberOrder], value: str) -> QuerySet[NumberOrder]:
    """Orders with a number in this vetting state."""
    if not value:
        return qs
    numbers = OrderedNumber.objects.filter(number_order=OuterRef("pk"), requirements_status=value)
    return qs.filter(Exists(numbers))


def deadline_within(days: int) -> datetime:
    return timezone.now() + timedelta(days=days)


def sorted_by(qs: QuerySet[NumberOrder], sort: str) -> QuerySet[NumberOrder]:
    return qs.order_by(*SORTS.get(sort, SORTS["-created"]))


def filtered(qs: QuerySet[NumberOrder], f: Filters) -> QuerySet[NumberOrder]:
    qs = by_status(qs, f.status)
    qs = by_sub_orders(qs, f.country_code, f.phone_number_type)
    qs = by_requirements_status(qs, f.requirements_status)
    if f.placed_by:
        qs = qs.filter(placed_by_id=f.placed_by)
    if f.deadline_within_days is not None:
        qs = qs.filter(
            next_deadline__isnull=False, next_deadline__lte=deadline_within(f.deadline_within_days)
        )
    if f.needs_action:
        qs = qs.filter(needs_action=True)
    return sorted_by(qs, f.sort)


def page_rows(qs: QuerySet[NumberOrder]) -> QuerySet[NumberOrder]:
    """What a list row shows: placer's name and the sub orders' country/type, prefetched."""
    subs = SubNumberOrder.objects.select_related("assignee")
    return qs.select_related("placed_by", "bulk_order").prefetch_related(
        Prefetch("sub_orders", queryset=subs)
    )


def state_counts(qs: QuerySet[NumberOrder]) -> dict[str, int]:
    """Counts per state for the tabs on top, in one aggregate query. Counting ``status`` (never
    NULL, so every row) rather than the primary key lets PostgreSQL read the
    ``orders_no_states`` index alone, not the rows."""
    return qs.aggregate(
        total=Count("status"),
        **{name: Count("status", filter=q) for name, q in STATE_COUNTS.items()},
    )
