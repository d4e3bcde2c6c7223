"""Sub number orders: one per (country, number type) of an order, each vetted on its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from portal.telnyx.endpoint import Endpoints, requirement_values, seg
from portal.telnyx.models import SubNumberOrder
from portal.telnyx.pagination import Page, filter_params


class SubOrdersMixin(Endpoints):
    def iter_sub_number_orders(self, **filters: Any) -> Iterator[SubNumberOrder]:
        """GET /sub_number_orders (ListSubNumberOrders), every page.

        Filters: ``status``, ``order_request_id``, ``country_code``, ``phone_number_type``,
        ``phone_numbers_count``, ``include_phone_numbers``.
        """
        return self._iter(SubNumberOrder, "sub_number_orders", filters, style="undeclared")

    def sub_number_orders_page(self, page_number: int = 1, **filters: Any) -> Page[SubNumberOrder]:
        """One page of :meth:`iter_sub_number_orders` (see
        :meth:`number_order_phone_numbers_page`)."""
        return self._page(
            SubNumberOrder, "sub_number_orders", filters, number=page_number, style="undeclared"
        )

    def get_sub_number_order(self, id: str, include_phone_numbers: bool = False) -> SubNumberOrder:
        """GET /sub_number_orders/{id} (GetSubNumberOrder). Embedded numbers stop at 50; use
        :meth:`iter_number_order_phone_numbers` or the order's number ids for the rest."""
        params = filter_params(include_phone_numbers=True) if include_phone_numbers else None
        return self._one(SubNumberOrder, "GET", f"sub_number_orders/{seg(id)}", params=params)

    def update_sub_number_order_requirements(
        self, id: str, values: list[dict[str, Any]]
    ) -> SubNumberOrder:
        """PATCH /sub_number_orders/{id} (UpdateSubNumberOrder): values for every number of the
        sub order. Address values are address ids, document values document ids."""
        return self._one(
            SubNumberOrder,
            "PATCH",
            f"sub_number_orders/{seg(id)}",
            json={"regulatory_requirements": requirement_values(values)},
        )

    def cancel_sub_number_order(self, id: str) -> SubNumberOrder:
        """PATCH /sub_number_orders/{id}/cancel (CancelSubNumberOrder); only while pending."""
        return self._one(SubNumberOrder, "PATCH", f"sub_number_orders/{seg(id)}/cancel")

    def attach_requirement_group_to_sub_number_order(
        self, id: str, group_id: str
    ) -> SubNumberOrder:
        """POST /sub_number_orders/{id}/requirement_group: apply a fulfilled group. Approved
        values stay; re-applying the same group is harmless, so it is retried."""
        return self._one(
            SubNumberOrder,
            "POST",
            f"sub_number_orders/{seg(id)}/requirement_group",
            json={"requirement_group_id": str(group_id)},
        )
