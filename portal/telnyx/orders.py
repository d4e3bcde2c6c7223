"""Number orders: the call that spends money.

``create_number_order`` never re-sends blindly (P10, P11): the caller's ``customer_reference``
(the portal's order-intent id, unique per order) is sent with the order, and after a timeout,
dropped connection or 5xx the order is looked up by that reference before anything is re-sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from portal.telnyx.endpoint import Endpoints, compact, requirement_values, seg
from portal.telnyx.models import NumberOrder


def _phone_number_entries(phone_numbers: list[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for item in phone_numbers:
        if isinstance(item, str):
            entries.append({"phone_number": item})
        elif isinstance(item, Mapping) and item.get("phone_number"):
            entry = {"phone_number": str(item["phone_number"])}
            for key in ("requirement_group_id", "bundle_id"):
                if item.get(key):
                    entry[key] = str(item[key])
            entries.append(entry)
        else:
            raise ValueError("each phone number needs a phone_number in E.164 form")
    if not entries:
        raise ValueError("an order needs at least one phone number")
    return entries


class OrdersMixin(Endpoints):
    def create_number_order(
        self,
        phone_numbers: list[str | Mapping[str, Any]],
        customer_reference: str,
        connection_id: str | None = None,
        messaging_profile_id: str | None = None,
        billing_group_id: str | None = None,
        *,
        resend_if_absent: bool = True,
    ) -> NumberOrder:
        """POST /number_orders (CreateNumberOrder), at most once per ``customer_reference``.

        Raises :class:`AmbiguousCreateError` when Telnyx may have created the order but the
        lookup could not confirm it; any other error means no order exists with that reference.
        With ``resend_if_absent=False`` a failed attempt is never followed by a second POST.
        """
        if not customer_reference or not str(customer_reference).strip():
            raise ValueError("customer_reference is required: it is how a lost answer is found")
        reference = str(customer_reference)
        body = compact(
            {
                "phone_numbers": _phone_number_entries(phone_numbers),
                "customer_reference": reference,
                "connection_id": connection_id,
                "messaging_profile_id": messaging_profile_id,
                "billing_group_id": billing_group_id,
            }
        )

        def send() -> NumberOrder:
            return self._one(NumberOrder, "POST", "number_orders", json=body, retry=False)

        def lookup() -> NumberOrder | None:
            found = self.find_number_orders(customer_reference=reference)
            if not found:
                return None
            return self.get_number_order(found[0].id or "")

        return self._create(
            what="number order",
            send=send,
            lookup=lookup,
            reference=reference,
            resend_if_absent=resend_if_absent,
        )

    def find_number_orders(self, customer_reference: str) -> list[NumberOrder]:
        """Orders carrying exactly this reference, oldest first (normally zero or one)."""
        orders = [
            o
            for o in self.iter_number_orders(customer_reference=customer_reference)
            if o.customer_reference == customer_reference
        ]
        return sorted(orders, key=lambda o: (o.created_at is None, o.created_at or 0))

    def get_number_order(self, id: str) -> NumberOrder:
        """GET /number_orders/{id} (RetrieveNumberOrder)."""
        return self._one(NumberOrder, "GET", f"number_orders/{seg(id)}")

    def iter_number_orders(self, **filters: Any) -> Iterator[NumberOrder]:
        """GET /number_orders (ListNumberOrders), every page.

        Filters: ``status``, ``customer_reference``, ``phone_numbers_count``,
        ``requirements_met``, ``created_at__gt`` / ``created_at__lt``.
        """
        return self._iter(NumberOrder, "number_orders", filters)

    def update_number_order(
        self,
        id: str,
        customer_reference: str | None = None,
        regulatory_requirements: list[dict[str, Any]] | None = None,
    ) -> NumberOrder:
        """PATCH /number_orders/{id} (UpdateNumberOrder): the reference and requirement values
        are all it can change."""
        body: dict[str, Any] = {}
        if customer_reference is not None:
            body["customer_reference"] = customer_reference
        if regulatory_requirements is not None:
            body["regulatory_requirements"] = requirement_values(regulatory_requirements)
        return self._one(NumberOrder, "PATCH", f"number_orders/{seg(id)}", json=body)
