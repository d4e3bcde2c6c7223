"""The review step before placing: groups as Telnyx will split them, costs, requirements,
and an optional 30-minute reservation of the selection.

What each group will require comes from ``GET /phone_numbers_regulatory_requirements`` for the
selected numbers (in chunks, cached for a few minutes so re-rendering the page is cheap). The
same answer tells us each number's type when the search did not filter on one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from compliance.models import RequirementGroupLink
from orders import group_needs
from orders.mirror import g, plain
from orders.models import NumberReservation
from orders.selection import Group, Selection
from orders.timestamps import parse_ts
from portal import audit
from portal.telnyx import get_client
from portal.telnyx.errors import TelnyxError

log = logging.getLogger(__name__)

REQUIREMENTS_CHUNK = 50
REQUIREMENTS_CACHE_SECONDS = 600


@dataclass
class Review:
    groups: list[Group]
    upfront_total: Decimal
    monthly_total: Decimal
    currency: str
    count: int
    requirements_error: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> list[Group]:
        """Groups Telnyx would refuse and for which no approved group fits."""
        return [grp for grp in self.groups if grp.needs_group and not grp.group_choices]

    @property
    def blocked_count(self) -> int:
        return sum(len(grp.numbers) for grp in self.blocked)

    @property
    def placeable_count(self) -> int:
        """Numbers placed now when no select holds anything back."""
        return self.count - self.blocked_count


def build_review(selection: Selection) -> Review:
    """Group the selection and attach what each group will need from Telnyx."""
    error = ""
    try:
        by_number = requirements_for(selection.phone_numbers())
    except TelnyxError as exc:
        by_number, error = {}, f"Could not load the requirements from Telnyx: {exc}"
    selection.set_types(
        {phone: str(g(item, "phone_number_type") or "") for phone, item in by_number.items()}
    )
    groups = selection.groups()
    for group in groups:
        seen: dict[str, dict[str, Any]] = {}
        for number in group.numbers:
            for req in g(by_number.get(number.phone_number), "regulatory_requirements", []) or []:
                item = plain(req) if not isinstance(req, dict) else req
                key = str(item.get("id") or item.get("label") or item.get("name"))
                seen.setdefault(
                    key,
                    {
                        "id": item.get("id") or "",
                        "label": item.get("label") or item.get("name") or "Requirement",
                        "field_type": _field_type(item.get("field_type") or ""),
                        "description": item.get("description") or "",
                    },
                )
        group.requirements = list(seen.values())
        # Without the requirements (Telnyx did not answer) assume the type has some.
        has_requirements = bool(group.requirements) or bool(error)
        group.needs_group = group_needs.needs_group(
            group.country_code, group.phone_number_type, has_requirements
        )
        if group.needs_group:
            group.group_choices = [
                (str(link.public_id), group_needs.group_label(link))
                for link in group_needs.fitting_groups(group.country_code, group.phone_number_type)
            ]
    upfront, monthly, currency = selection.totals()
    return Review(groups, upfront, monthly, currency, len(selection), error)


def group_ids(chosen: dict[str, str]) -> dict[str, str]:
    """{group key: chosen group public id} as {group key: Telnyx group id}.

    The form only offered groups that fit; one that stopped fitting since is caught by the
    form's choices (rebuilt on POST) and, failing that, by Telnyx refusing it."""
    links = RequirementGroupLink.objects.filter(public_id__in=list(chosen.values()))
    by_public = {str(link.public_id): str(link.telnyx_id) for link in links if link.telnyx_id}
    return {key: by_public[pid] for key, pid in chosen.items() if pid in by_public}


def _field_type(value: str) -> str:
    """``/regulatory_requirements`` says ``address_id`` where sub orders say ``address``."""
    return value.removesuffix("_id")


def requirements_for(phone_numbers: list[str]) -> dict[str, Any]:
    """Requirements per number, from cache or Telnyx (as plain dicts)."""
    keys = {p: f"orders:reqs:{p}" for p in phone_numbers}
    cached = cache.get_many(list(keys.values()))
    out: dict[str, Any] = {p: cached[k] for p, k in keys.items() if k in cached}
    missing = [p for p in phone_numbers if p not in out]
    client = get_client()
    for start in range(0, len(missing), REQUIREMENTS_CHUNK):
        chunk = missing[start : start + REQUIREMENTS_CHUNK]
        fresh = {}
        for item in client.list_phone_number_regulatory_requirements(chunk):
            data = plain(item)
            fresh[str(data.get("phone_number"))] = data
        out.update(fresh)
        cache.set_many(
            {keys[p]: v for p, v in fresh.items() if p in keys}, REQUIREMENTS_CACHE_SECONDS
        )
    return out


def reserve(user: Any, selection: Selection, request: Any = None) -> NumberReservation:
    """Hold the selected numbers for 30 minutes (raises `TelnyxError`)."""
    numbers = selection.phone_numbers()
    telnyx = get_client().create_reservation(phone_numbers=numbers)
    reservation = NumberReservation.objects.create(
        telnyx_id=str(g(telnyx, "id")), created_by=user, **_reservation_values(telnyx)
    )
    audit.record(
        user,
        "orders.reservation_created",
        target=reservation,
        request=request,
        numbers=len(numbers),
    )
    return reservation


def extend(user: Any, reservation: NumberReservation, request: Any = None) -> NumberReservation:
    """Add another 30 minutes (raises `TelnyxError`)."""
    telnyx = get_client().extend_reservation(reservation.telnyx_id)
    values = _reservation_values(telnyx)
    NumberReservation.objects.filter(pk=reservation.pk).update(**values)
    reservation.refresh_from_db()
    audit.record(user, "orders.reservation_extended", target=reservation, request=request)
    return reservation


def _reservation_values(telnyx: Any) -> dict[str, Any]:
    numbers = [
        {
            "phone_number": g(n, "phone_number"),
            "status": g(n, "status") or "",
            "expired_at": (parse_ts(g(n, "expired_at")) or timezone.now()).isoformat()
            if g(n, "expired_at")
            else "",
            "errors": str(g(n, "errors") or ""),
        }
        for n in g(telnyx, "phone_numbers", []) or []
    ]
    expiries = [parse_ts(n["expired_at"]) for n in numbers if n["expired_at"]]
    return {
        "status": g(telnyx, "status") or "",
        "phone_numbers": numbers,
        "expires_at": min((e for e in expiries if e), default=None),
    }
