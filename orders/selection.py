"""The selection: numbers picked from search results, kept in the session across pages.

Only what the search returned is stored (number, country, type, region, prices), so the review
page can group and price the selection without searching again. Telnyx only sells numbers a
recent API search returned (error 85000), so an entry remembers when it was found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone

SESSION_KEY = "orders.selection"


@dataclass(frozen=True)
class SelectedNumber:
    phone_number: str
    country_code: str
    phone_number_type: str
    locality: str = ""
    administrative_area: str = ""
    upfront_cost: str = "0"
    monthly_cost: str = "0"
    currency: str = "USD"
    features: tuple[str, ...] = ()
    reservable: bool = False
    found_at: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SelectedNumber:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known["features"] = tuple(known.get("features") or ())
        return cls(**known)

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["features"] = list(self.features)
        return data

    @property
    def upfront(self) -> Decimal:
        return _money(self.upfront_cost)

    @property
    def group_key(self) -> str:
        """The key of the `Group` (future sub order) this number falls in."""
        return f"{self.country_code}-{self.phone_number_type or 'unknown'}"

    @property
    def monthly(self) -> Decimal:
        return _money(self.monthly_cost)


@dataclass
class Group:
    """One future sub number order: Telnyx splits an order per (country, number type)."""

    country_code: str
    phone_number_type: str
    numbers: list[SelectedNumber] = field(default_factory=list)
    requirements: list[dict[str, Any]] = field(default_factory=list)
    # Telnyx refuses these numbers without a requirement group; the fitting approved groups
    # as (public id, label) for the review's select.
    needs_group: bool = False
    group_choices: list[tuple[str, str]] = field(default_factory=list)

    @property
    def field_name(self) -> str:
        """The review form's field choosing this group's requirement group."""
        return f"group-{self.key}"

    @property
    def key(self) -> str:
        return f"{self.country_code}-{self.phone_number_type}"

    @property
    def upfront_total(self) -> Decimal:
        return sum((n.upfront for n in self.numbers), Decimal(0))

    @property
    def monthly_total(self) -> Decimal:
        return sum((n.monthly for n in self.numbers), Decimal(0))


class SelectionFull(Exception):
    """The selection already holds ``ORDERS_SELECTION_MAX`` numbers."""


class Selection:
    """Session-backed set of picked numbers, in the order they were picked."""

    def __init__(self, session: MutableMapping[str, Any]) -> None:
        self._session = session

    @property
    def _data(self) -> dict[str, dict[str, Any]]:
        return self._session.get(SESSION_KEY) or {}

    def _save(self, data: dict[str, dict[str, Any]]) -> None:
        self._session[SESSION_KEY] = data
        # The session middleware only notices assignments, not nested edits.
        if hasattr(self._session, "modified"):
            self._session.modified = True

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, phone_number: object) -> bool:
        return phone_number in self._data

    def __iter__(self) -> Iterator[SelectedNumber]:
        return (SelectedNumber.from_dict(d) for d in self._data.values())

    def phone_numbers(self) -> list[str]:
        return list(self._data)

    def add(self, numbers: Iterable[SelectedNumber]) -> int:
        """Add numbers (a repeat is a no-op); returns how many were new."""
        data = dict(self._data)
        limit = int(settings.ORDERS_SELECTION_MAX)
        added = 0
        for number in numbers:
            if number.phone_number in data:
                continue
            if len(data) >= limit:
                self._save(data)
                raise SelectionFull(f"A selection holds at most {limit} numbers.")
            if not number.found_at:
                number = SelectedNumber.from_dict(
                    {**number.as_dict(), "found_at": timezone.now().isoformat()}
                )
            data[number.phone_number] = number.as_dict()
            added += 1
        self._save(data)
        return added

    def remove(self, phone_numbers: Iterable[str]) -> int:
        data = dict(self._data)
        removed = sum(1 for p in phone_numbers if data.pop(p, None) is not None)
        self._save(data)
        return removed

    def clear(self) -> None:
        self._save({})

    def set_types(self, types: dict[str, str]) -> None:
        """Fill in number types learnt later (a search without a type filter leaves it blank)."""
        data = dict(self._data)
        for phone, number_type in types.items():
            if phone in data and number_type and not data[phone].get("phone_number_type"):
                data[phone] = {**data[phone], "phone_number_type": number_type}
        self._save(data)

    def groups(self) -> list[Group]:
        """The selection as Telnyx will split it: one group per (country, type)."""
        groups: dict[tuple[str, str], Group] = {}
        for number in self:
            key = (number.country_code, number.phone_number_type or "unknown")
            groups.setdefault(key, Group(*key)).numbers.append(number)
        return [groups[k] for k in sorted(groups)]

    def totals(self) -> tuple[Decimal, Decimal, str]:
        return totals(list(self))


def totals(numbers: list[SelectedNumber]) -> tuple[Decimal, Decimal, str]:
    """Upfront and monthly sums of ``numbers`` and their currency ("mixed" if several)."""
    upfront = sum((n.upfront for n in numbers), Decimal(0))
    monthly = sum((n.monthly for n in numbers), Decimal(0))
    currencies = {n.currency for n in numbers if n.currency}
    currency = currencies.pop() if len(currencies) == 1 else ("mixed" if currencies else "")
    return upfront, monthly, currency


def _money(value: str | None) -> Decimal:
    try:
        return Decimal(value or "0")
    except InvalidOperation:
        return Decimal(0)
