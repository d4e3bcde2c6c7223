"""Number search and the per-number records of an order (``/number_order_phone_numbers``).

Per-number records are where vetting really lives: values, per-requirement status, the
``requirements_status`` and the only ``deadline`` in the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from portal.telnyx.endpoint import Endpoints, parse, requirement_values, seg
from portal.telnyx.http import decode_json
from portal.telnyx.models import (
    AvailablePhoneNumber,
    AvailablePhoneNumberBlock,
    BlockSearchResult,
    NumberOrderPhoneNumber,
    SearchResult,
)
from portal.telnyx.pagination import Page, filter_params


def _meta(payload: Any) -> dict[str, Any]:
    """``meta`` and ``metadata`` are duplicates in search answers; either may be missing."""
    if not isinstance(payload, dict):
        return {}
    for key in ("meta", "metadata"):
        value = payload.get(key)
        if isinstance(value, dict):
            return value
    return {}


class NumbersMixin(Endpoints):
    def search_numbers(
        self,
        country_code: str,
        phone_number_type: str | None = None,
        locality: str | None = None,
        administrative_area: str | None = None,
        national_destination_code: str | None = None,
        starts_with: str | None = None,
        contains: str | None = None,
        ends_with: str | None = None,
        features: list[str] | None = None,
        limit: int | None = None,
        best_effort: bool | None = None,
        quickship: bool | None = None,
        reservable: bool | None = None,
        exclude_held_numbers: bool | None = None,
        rate_center: str | None = None,
    ) -> SearchResult:
        """GET /available_phone_numbers (ListAvailablePhoneNumbers).

        Digit patterns use the nested ``filter[phone_number][...]`` form; they must not hold the
        country code or wildcards (Telnyx then returns nothing).
        """
        if not country_code:
            raise ValueError("country_code is required (Telnyx needs it on every search)")
        pattern = {"starts_with": starts_with, "contains": contains, "ends_with": ends_with}
        params = filter_params(
            country_code=country_code,
            phone_number_type=phone_number_type,
            locality=locality,
            administrative_area=administrative_area,
            national_destination_code=national_destination_code,
            rate_center=rate_center,
            phone_number={k: v for k, v in pattern.items() if v is not None} or None,
            features=list(features) if features else None,
            limit=limit,
            best_effort=best_effort,
            quickship=quickship,
            reservable=reservable,
            exclude_held_numbers=exclude_held_numbers,
        )
        path = "available_phone_numbers"
        payload = decode_json(self._transport.request("GET", path, params=params), "GET", path)
        meta = _meta(payload)
        data = payload.get("data") if isinstance(payload, dict) else None
        return SearchResult(
            numbers=[parse(AvailablePhoneNumber, n) for n in data or []],
            total_results=meta.get("total_results"),
            best_effort_results=meta.get("best_effort_results"),
        )

    def search_number_blocks(
        self,
        country_code: str,
        phone_number_type: str | None = None,
        locality: str | None = None,
        national_destination_code: str | None = None,
    ) -> BlockSearchResult:
        """GET /available_phone_number_blocks (ListAvailablePhoneNumberBlocks)."""
        params = filter_params(
            country_code=country_code,
            phone_number_type=phone_number_type,
            locality=locality,
            national_destination_code=national_destination_code,
        )
        path = "available_phone_number_blocks"
        payload = decode_json(self._transport.request("GET", path, params=params), "GET", path)
        meta = _meta(payload)
        data = payload.get("data") if isinstance(payload, dict) else None
        return BlockSearchResult(
            blocks=[parse(AvailablePhoneNumberBlock, n) for n in data or []],
            total_results=meta.get("total_results"),
            best_effort_results=meta.get("best_effort_results"),
        )

    # --- number order phone numbers ----------------------------------------------------------

    def iter_number_order_phone_numbers(self, **filters: Any) -> Iterator[NumberOrderPhoneNumber]:
        """GET /number_order_phone_numbers (RetrieveOrderPhoneNumbers), every page.

        The spec documents only ``country_code``; other filters are passed through as
        ``filter[...]``. Paging is undeclared, so later pages are asked for only when ``meta``
        says they exist.
        """
        return self._iter(
            NumberOrderPhoneNumber, "number_order_phone_numbers", filters, style="undeclared"
        )

    def number_order_phone_numbers_page(
        self, page_number: int = 1, **filters: Any
    ) -> Page[NumberOrderPhoneNumber]:
        """One page (250 records when Telnyx honours the size) of
        :meth:`iter_number_order_phone_numbers`; ``page.later_numbers`` on the first page says
        which pages remain, so a caller with a thread pool can fetch them side by side."""
        return self._page(
            NumberOrderPhoneNumber,
            "number_order_phone_numbers",
            filters,
            number=page_number,
            style="undeclared",
        )

    def get_number_order_phone_number(self, id: str) -> NumberOrderPhoneNumber:
        """GET /number_order_phone_numbers/{id} (GetNumberOrderPhoneNumber), with deadline."""
        return self._one(NumberOrderPhoneNumber, "GET", f"number_order_phone_numbers/{seg(id)}")

    def update_number_order_phone_number_requirements(
        self, id: str, values: list[dict[str, Any]]
    ) -> NumberOrderPhoneNumber:
        """PATCH /number_order_phone_numbers/{id} (UpdateNumberOrderPhoneNumber): one number's
        values only. Setting the same values twice is harmless, so it is retried."""
        return self._one(
            NumberOrderPhoneNumber,
            "PATCH",
            f"number_order_phone_numbers/{seg(id)}",
            json={"regulatory_requirements": requirement_values(values)},
        )

    def attach_requirement_group_to_number(self, id: str, group_id: str) -> NumberOrderPhoneNumber:
        """POST /number_order_phone_numbers/{id}/requirement_group: applies a fulfilled group to
        one number. Re-applying the same group changes nothing, so it is retried."""
        return self._one(
            NumberOrderPhoneNumber,
            "POST",
            f"number_order_phone_numbers/{seg(id)}/requirement_group",
            json={"requirement_group_id": str(group_id)},
        )
