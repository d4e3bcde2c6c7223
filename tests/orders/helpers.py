"""Placing orders in-process (no worker) for tests that are about what happens afterwards."""

from __future__ import annotations

import uuid

from orders import placing
from orders.models import NumberOrder
from orders.placing import OrderOptions, create_intent
from orders.selection import SelectedNumber, Selection


def place_now(user, sandbox, picks: list[tuple[str, str, int]]) -> NumberOrder:
    """Search the sandbox for each (country, type, count), then place one order in-process."""
    selection = Selection({})
    for country, kind, count in picks:
        numbers = sandbox.search(country, kind, limit=count)
        selection.add(SelectedNumber(p, country, kind) for p in numbers)
    order, _ = create_intent(user, str(uuid.uuid4()), selection, OrderOptions())
    for _ in range(3):
        try:
            placing.place(order.pk)
            break
        except placing.RetryLater:
            continue
    order.refresh_from_db()
    assert order.telnyx_id, order.placing_error
    return order
