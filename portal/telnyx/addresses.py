"""Addresses: the values of address requirements are ids from here (numeric strings)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from portal.telnyx.creating import new_reference
from portal.telnyx.endpoint import Endpoints, compact, seg
from portal.telnyx.models import Address

ADDRESS_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "business_name",
        "street_address",
        "extended_address",
        "locality",
        "administrative_area",
        "neighborhood",
        "borough",
        "postal_code",
        "country_code",
        "phone_number",
        "customer_reference",
        "address_book",
        "validate_address",
    }
)


class AddressesMixin(Endpoints):
    def create_address(self, **fields: Any) -> Address:
        """POST /addresses (CreateAddress). Required by Telnyx: first_name, last_name,
        business_name, street_address, locality, country_code. A unique customer_reference is
        added when none is given so a lost answer can be found again."""
        unknown = set(fields) - ADDRESS_FIELDS
        if unknown:
            raise TypeError(f"unknown address fields: {', '.join(sorted(unknown))}")
        reference = fields.get("customer_reference") or new_reference("addr")
        body = compact({**fields, "customer_reference": reference})

        def send() -> Address:
            return self._one(Address, "POST", "addresses", json=body, retry=False)

        def lookup() -> Address | None:
            for address in self.iter_addresses(customer_reference__eq=reference):
                if address.customer_reference == reference:
                    return address
            return None

        return self._create(what="address", send=send, lookup=lookup, reference=reference)

    def get_address(self, id: str) -> Address:
        """GET /addresses/{id} (GetAddress)."""
        return self._one(Address, "GET", f"addresses/{seg(id)}")

    def iter_addresses(self, **filters: Any) -> Iterator[Address]:
        """GET /addresses (FindAddresses), every page.

        Filters: ``customer_reference__eq`` / ``customer_reference__contains``,
        ``street_address__contains``, ``address_book__eq``, ``used_as_emergency``.
        """
        return self._iter(Address, "addresses", filters)

    def delete_address(self, id: str) -> Address | None:
        """DELETE /addresses/{id} (DeleteAddress)."""
        return self._delete(Address, f"addresses/{seg(id)}")
