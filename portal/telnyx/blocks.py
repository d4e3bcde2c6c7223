"""Block orders: consecutive number ranges, reconciled by starting number and reference."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from portal.telnyx.creating import new_reference
from portal.telnyx.endpoint import Endpoints, compact, seg
from portal.telnyx.models import NumberBlockOrder


class BlocksMixin(Endpoints):
    def create_block_order(
        self,
        starting_number: str,
        range: int,
        connection_id: str | None = None,
        messaging_profile_id: str | None = None,
        customer_reference: str | None = None,
        *,
        resend_if_absent: bool = True,
    ) -> NumberBlockOrder:
        """POST /number_block_orders (CreateNumberBlockOrder), at most once per reference."""
        reference = customer_reference or new_reference("block")
        body = compact(
            {
                "starting_number": starting_number,
                "range": int(range),
                "connection_id": connection_id,
                "messaging_profile_id": messaging_profile_id,
                "customer_reference": reference,
            }
        )

        def send() -> NumberBlockOrder:
            return self._one(
                NumberBlockOrder, "POST", "number_block_orders", json=body, retry=False
            )

        def lookup() -> NumberBlockOrder | None:
            for order in self.iter_block_orders(starting_number=starting_number):
                if order.customer_reference == reference:
                    return order
            return None

        return self._create(
            what="block order",
            send=send,
            lookup=lookup,
            reference=reference,
            resend_if_absent=resend_if_absent,
        )

    def get_block_order(self, id: str) -> NumberBlockOrder:
        """GET /number_block_orders/{id} (RetrieveNumberBlockOrder)."""
        return self._one(NumberBlockOrder, "GET", f"number_block_orders/{seg(id)}")

    def iter_block_orders(
        self, starting_number: str | None = None, **filters: Any
    ) -> Iterator[NumberBlockOrder]:
        """GET /number_block_orders (ListNumberBlockOrders), every page.

        Filters: ``status``, ``created_at__gt`` / ``created_at__lt``, ``starting_number``.
        """
        if starting_number:
            filters["phone_numbers.starting_number"] = starting_number
        return self._iter(NumberBlockOrder, "number_block_orders", filters)
