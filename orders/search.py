"""Searching Telnyx for available numbers and turning results into rows the screens show.

The client returns typed models; here they become flat rows (number, region, prices, features)
that the results table renders and the selection stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from orders.selection import SelectedNumber
from portal.telnyx import get_client


@dataclass(frozen=True)
class SearchOutcome:
    numbers: list[SelectedNumber]
    total_results: int | None
    best_effort_results: int | None


def search_available(filters: dict[str, Any]) -> SearchOutcome:
    """Run `GET /available_phone_numbers` with the form's filters (raises `TelnyxError`)."""
    result = get_client().search_numbers(**filters)
    found_at = timezone.now().isoformat()
    rows = [
        to_selected(n, filters["country_code"], filters.get("phone_number_type", ""), found_at)
        for n in result.numbers
    ]
    return SearchOutcome(rows, result.total_results, result.best_effort_results)


def to_selected(
    number: Any, country_code: str, phone_number_type: str, found_at: str
) -> SelectedNumber:
    """Flatten one `AvailablePhoneNumber` (features are objects, prices are strings)."""
    regions = {
        _get(r, "region_type"): _get(r, "region_name")
        for r in (_get(number, "region_information") or [])
    }
    cost = _get(number, "cost_information") or {}
    features = tuple(
        str(_get(f, "name") if not isinstance(f, str) else f)
        for f in (_get(number, "features") or [])
    )
    return SelectedNumber(
        phone_number=str(_get(number, "phone_number")),
        country_code=str(regions.get("country_code") or country_code).upper(),
        phone_number_type=phone_number_type or str(_get(number, "phone_number_type") or ""),
        locality=str(regions.get("location") or regions.get("rate_center") or ""),
        administrative_area=str(regions.get("state") or ""),
        upfront_cost=str(_get(cost, "upfront_cost") or "0"),
        monthly_cost=str(_get(cost, "monthly_cost") or "0"),
        currency=str(_get(cost, "currency") or ""),
        features=features,
        reservable=bool(_get(number, "reservable")),
        found_at=found_at,
    )


def _get(obj: Any, name: str) -> Any:
    """Read a field from a pydantic model or a plain dict (extra fields stay as dicts)."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)
