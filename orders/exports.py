"""What the orders and numbers CSV exports contain: the columns the lists show, row by row.

Rows are read with ``values_list`` through a server-side cursor (``iterator``), a chunk at a
time, so memory stays flat however long the list (``bench/exports.py``). No personal value:
orders and numbers carry ids, statuses, dates and phone numbers (the company's, not a person's).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.db.models import QuerySet

from orders.models import NumberOrder, OrderedNumber, SubNumberOrder

CHUNK = 2000

ORDER_HEADER = [
    "Telnyx order id",
    "Our reference",
    "Status",
    "Placing state",
    "Sub orders (country type)",
    "Numbers",
    "Next deadline",
    "Needs action",
    "Placed by",
    "Created",
    "Placed",
]
_ORDER_FIELDS = (
    "pk",
    "telnyx_id",
    "customer_reference",
    "status",
    "placing_state",
    "phone_numbers_count",
    "next_deadline",
    "needs_action",
    "placed_by__username",
    "created_at",
    "placed_at",
)

NUMBER_HEADER = [
    "Phone number",
    "Country",
    "Type",
    "Status",
    "Vetting",
    "Deadline",
    "Telnyx number id",
    "Telnyx sub order id",
    "Telnyx order id",
    "Placed by",
    "Created",
]
_NUMBER_FIELDS = (
    "phone_number",
    "country_code",
    "phone_number_type",
    "status",
    "requirements_status",
    "deadline",
    "telnyx_id",
    "sub_order__telnyx_id",
    "number_order__telnyx_id",
    "number_order__placed_by__username",
    "created_at",
)


def order_rows(qs: QuerySet[NumberOrder]) -> Iterator[list[Any]]:
    """One row per order in ``qs``'s order; sub orders fetched once per chunk."""
    rows = qs.values_list(*_ORDER_FIELDS).iterator(chunk_size=CHUNK)
    while chunk := list(islice(rows, CHUNK)):
        subs: dict[int, list[str]] = defaultdict(list)
        for order_id, country, kind in (
            SubNumberOrder.objects.filter(number_order_id__in=[r[0] for r in chunk])
            .order_by("number_order_id", "country_code", "phone_number_type")
            .values_list("number_order_id", "country_code", "phone_number_type")
        ):
            subs[order_id].append(f"{country} {kind}")
        for pk, *values in chunk:
            yield [*values[:4], "; ".join(subs.get(pk, [])), *values[4:]]


def number_rows(qs: QuerySet[OrderedNumber]) -> Iterator[tuple[Any, ...]]:
    """One row per number with its status, vetting state and deadline."""
    yield from qs.values_list(*_NUMBER_FIELDS).iterator(chunk_size=CHUNK)
