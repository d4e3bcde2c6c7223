"""Number reservations: hold specific numbers for 30 minutes before ordering them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from portal.telnyx.creating import new_reference
from portal.telnyx.endpoint import Endpoints, seg
from portal.telnyx.models import NumberReservation


class ReservationsMixin(Endpoints):
    def create_reservation(
        self,
        phone_numbers: Sequence[str | Mapping[str, Any]],
        customer_reference: str | None = None,
    ) -> NumberReservation:
        """POST /number_reservations (CreateNumberReservation), reconciled by reference."""
        reference = customer_reference or new_reference("hold")
        numbers = [
            {"phone_number": n if isinstance(n, str) else str(n["phone_number"])}
            for n in phone_numbers
        ]
        if not numbers:
            raise ValueError("at least one phone number is required")
        body = {"phone_numbers": numbers, "customer_reference": reference}

        def send() -> NumberReservation:
            return self._one(
                NumberReservation, "POST", "number_reservations", json=body, retry=False
            )

        def lookup() -> NumberReservation | None:
            for reservation in self.iter_reservations(customer_reference=reference):
                if reservation.customer_reference == reference:
                    return reservation
            return None

        return self._create(what="reservation", send=send, lookup=lookup, reference=reference)

    def get_reservation(self, id: str) -> NumberReservation:
        """GET /number_reservations/{id} (RetrieveNumberReservation)."""
        return self._one(NumberReservation, "GET", f"number_reservations/{seg(id)}")

    def iter_reservations(
        self, phone_number: str | None = None, **filters: Any
    ) -> Iterator[NumberReservation]:
        """GET /number_reservations (ListNumberReservations), every page.

        Filters: ``status``, ``customer_reference``, ``created_at__gt`` / ``created_at__lt``,
        ``phone_number``.
        """
        if phone_number:
            filters["phone_numbers.phone_number"] = phone_number
        return self._iter(NumberReservation, "number_reservations", filters)

    def extend_reservation(self, id: str) -> NumberReservation:
        """POST /number_reservations/{id}/actions/extend: another 30 minutes. Repeating it
        only holds the numbers a little longer, so it is retried."""
        return self._one(NumberReservation, "POST", f"number_reservations/{seg(id)}/actions/extend")
