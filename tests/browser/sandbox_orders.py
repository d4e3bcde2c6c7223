"""Orders made directly at the sandbox and mirrored: fast setup for journeys that start later."""

from __future__ import annotations

from typing import Any


def place_at_sandbox(sandbox: Any, user: Any, country: str, kind: str, count: int = 1) -> Any:
    """An order made directly at the sandbox and mirrored, as if placed earlier (fast setup)."""
    from orders.models import NumberOrder
    from orders.sync import refresh_order

    numbers = sandbox.search(country, kind, limit=count)
    data = sandbox.order(numbers[:count])
    order = NumberOrder.objects.create(
        telnyx_id=data["id"],
        customer_reference=data["customer_reference"],
        status=data["status"],
        placed_by=user,
    )
    refresh_order(order)
    return order
