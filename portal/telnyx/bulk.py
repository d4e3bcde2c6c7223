"""Inexplicit (bulk) number orders in US/CA: Telnyx searches, reserves and orders for us.

``count_requested`` is a string in the request and an int in the answer; listing uses flat
``page_number``/``page_size``. There is no reference filter, so a lost answer is reconciled by
walking the list for our ``customer_reference``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from portal.telnyx.endpoint import Endpoints, compact, seg
from portal.telnyx.models import InexplicitNumberOrder

_GROUP_KEYS = (
    "country_iso",
    "count_requested",
    "phone_number_type",
    "administrative_area",
    "locality",
    "national_destination_code",
    "phone_number",
    "features",
    "quickship",
    "exclude_held_numbers",
    "strategy",
)


def _ordering_group(group: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(group) - set(_GROUP_KEYS)
    if unknown:
        raise TypeError(f"unknown ordering group fields: {', '.join(sorted(unknown))}")
    for required in ("country_iso", "count_requested", "phone_number_type"):
        if group.get(required) in (None, ""):
            raise ValueError(f"each ordering group needs {required}")
    out = compact(dict(group))
    out["count_requested"] = str(out["count_requested"])
    pattern = out.get("phone_number")
    if isinstance(pattern, Mapping):
        out["phone_number"] = compact(dict(pattern))
    return out


class BulkMixin(Endpoints):
    def create_inexplicit_order(
        self,
        ordering_groups: list[Mapping[str, Any]],
        customer_reference: str,
        connection_id: str | None = None,
        messaging_profile_id: str | None = None,
        billing_group_id: str | None = None,
        *,
        resend_if_absent: bool = True,
    ) -> InexplicitNumberOrder:
        """POST /inexplicit_number_orders (CreateInexplicitNumberOrder), at most once per
        ``customer_reference`` (required, unique)."""
        if not customer_reference:
            raise ValueError("customer_reference is required: it is how a lost answer is found")
        if not ordering_groups:
            raise ValueError("at least one ordering group is required")
        body = compact(
            {
                "ordering_groups": [_ordering_group(g) for g in ordering_groups],
                "customer_reference": customer_reference,
                "connection_id": connection_id,
                "messaging_profile_id": messaging_profile_id,
                "billing_group_id": billing_group_id,
            }
        )

        def send() -> InexplicitNumberOrder:
            return self._one(
                InexplicitNumberOrder, "POST", "inexplicit_number_orders", json=body, retry=False
            )

        def lookup() -> InexplicitNumberOrder | None:
            for order in self.iter_inexplicit_orders():
                if order.customer_reference == customer_reference:
                    return order
            return None

        return self._create(
            what="bulk order",
            send=send,
            lookup=lookup,
            reference=customer_reference,
            resend_if_absent=resend_if_absent,
        )

    def get_inexplicit_order(self, id: str) -> InexplicitNumberOrder:
        """GET /inexplicit_number_orders/{id} (RetrieveInexplicitNumberOrder)."""
        return self._one(InexplicitNumberOrder, "GET", f"inexplicit_number_orders/{seg(id)}")

    def iter_inexplicit_orders(self, page_size: int = 250) -> Iterator[InexplicitNumberOrder]:
        """GET /inexplicit_number_orders (ListInexplicitNumberOrders), every page."""
        return self._iter(
            InexplicitNumberOrder, "inexplicit_number_orders", style="flat", page_size=page_size
        )
