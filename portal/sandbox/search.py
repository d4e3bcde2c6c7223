"""``GET /available_phone_numbers`` and ``/available_phone_number_blocks``.

Every filter of the spec works. The numbers returned are remembered: only those can be ordered
afterwards (Telnyx's rule 85000). Ordered and reserved numbers never show up.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import fail
from .inventory import Number
from .routing import Call, route
from .state import Sandbox

NUMBER_TYPES = ("local", "toll_free", "mobile", "national", "shared_cost")
FEATURES = (
    "sms",
    "mms",
    "voice",
    "fax",
    "emergency",
    "hd_voice",
    "international_sms",
    "local_calling",
)
DEFAULT_LIMIT = 20
MAX_LIMIT = 1000


def _pattern_target(number: Number, with_ndc_filter: bool) -> str:
    return number.national[len(number.ndc) :] if with_ndc_filter else number.national


def _text_eq(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def remember_searched(sb: Sandbox, phones: list[str]) -> None:
    now = sb.now()
    sb.store.put_many("searched", [{"id": phone, "at": now} for phone in phones])


@route("GET", "/available_phone_numbers")
def list_available(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    q = call.query
    country = (q.filter_str("country_code") or "").upper()
    if not country:
        raise fail(
            400, "10004", "filter[country_code] is required.", parameter="filter[country_code]"
        )
    ntype = q.filter_str("phone_number_type")
    if ntype and ntype not in NUMBER_TYPES:
        raise fail(
            400,
            "10015",
            f"filter[phone_number_type] must be one of {', '.join(NUMBER_TYPES)}.",
            parameter="filter[phone_number_type]",
        )
    features = q.filter_list("features")
    bad = [f for f in features if f not in FEATURES]
    if bad:
        raise fail(400, "10015", f"Unknown feature {bad[0]!r}.", parameter="filter[features]")
    limit_raw = q.filter_str("limit")
    try:
        limit = int(limit_raw) if limit_raw else DEFAULT_LIMIT
    except ValueError:
        raise fail(
            400, "10015", "filter[limit] must be an integer.", parameter="filter[limit]"
        ) from None
    if limit < 1:
        raise fail(400, "10015", "filter[limit] must be at least 1.", parameter="filter[limit]")
    limit = min(limit, MAX_LIMIT)
    locality = q.filter_str("locality")
    rate_center = q.filter_str("rate_center")
    admin = q.filter_str("administrative_area")
    ndc = q.filter_str("national_destination_code")
    starts = q.filter_str("phone_number", "starts_with")
    contains = q.filter_str("phone_number", "contains")
    ends = q.filter_str("phone_number", "ends_with")
    best_effort = bool(q.filter_bool("best_effort")) and country in ("US", "CA")
    quickship = q.filter_bool("quickship")
    reservable = q.filter_bool("reservable")
    exclude_held = q.filter_bool("exclude_held_numbers")
    wildcard = any(p and re.search(r"[*%]", p) for p in (starts, contains, ends))

    def base_ok(n: Number) -> bool:
        if ntype and n.type != ntype:
            return False
        if features and any(f not in n.features for f in features):
            return False
        if quickship and not n.quickship:
            return False
        if reservable and not n.reservable:
            return False
        if exclude_held and n.on_hold:
            return False
        return sb.is_available(n.phone_number)

    def exact_ok(n: Number) -> bool:
        if locality and not _text_eq(n.locality, locality):
            return False
        if rate_center and not _text_eq(n.locality, rate_center):
            return False
        if admin and not _text_eq(n.admin_area, admin):
            return False
        if ndc and n.ndc != ndc:
            return False
        target = _pattern_target(n, bool(ndc))
        if starts and not target.startswith(starts):
            return False
        if contains and contains not in target:
            return False
        return not (ends and not target.endswith(ends))

    exact: list[Number] = []
    near: list[Number] = []
    if not wildcard:
        for n in sb.inventory.by_country.get(country, []):
            if not base_ok(n):
                continue
            if exact_ok(n):
                if len(exact) < limit:
                    exact.append(n)
            elif best_effort and len(near) < limit:
                near.append(n)
            if len(exact) >= limit and (not best_effort or len(near) >= limit):
                break
    extra = near[: max(0, limit - len(exact))] if best_effort else []
    data = [n.to_api() for n in exact] + [n.to_api(best_effort=True) for n in extra]
    remember_searched(sb, [n.phone_number for n in exact + extra])
    meta = {"total_results": len(data), "best_effort_results": len(extra)}
    return 200, {"data": data, "meta": meta, "metadata": dict(meta)}


@route("GET", "/available_phone_number_blocks")
def list_blocks(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    q = call.query
    country = (q.filter_str("country_code") or "").upper()
    if not country:
        raise fail(
            400, "10004", "filter[country_code] is required.", parameter="filter[country_code]"
        )
    ntype = q.filter_str("phone_number_type")
    if ntype and ntype not in NUMBER_TYPES:
        raise fail(
            400,
            "10015",
            "Unknown filter[phone_number_type].",
            parameter="filter[phone_number_type]",
        )
    locality = q.filter_str("locality")
    ndc = q.filter_str("national_destination_code")
    found = []
    for block in sb.inventory.blocks:
        start = block.start
        if start.country != country or (ntype and start.type != ntype):
            continue
        if locality and not _text_eq(start.locality, locality):
            continue
        if ndc and start.ndc != ndc:
            continue
        if any(not sb.is_available(p) for p in block.numbers):
            continue
        found.append(block)
    remember_searched(sb, [b.start.phone_number for b in found])
    meta = {"total_results": len(found), "best_effort_results": 0}
    return 200, {"data": [b.to_api() for b in found], "meta": meta}
