"""Handlers for the requirements catalogue: ``/requirements``, ``/requirement_types``,
``/regulatory_requirements`` and ``/phone_numbers_regulatory_requirements``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .catalogue import (
    SETS,
    TYPES,
    TYPES_BY_ID,
    current_catalogue,
    current_requirements,
)
from .errors import fail, not_found
from .query import paginate, whole
from .routing import Call, route
from .state import Sandbox

DOC_TYPES = ("local", "national", "toll_free")
REG_TYPES = ("local", "toll_free", "mobile", "national", "shared_cost")


def _sort(
    records: list[dict[str, Any]], sort: list[str], allowed: tuple[str, ...]
) -> list[dict[str, Any]]:
    for key in reversed(sort):
        field = key.lstrip("-")
        if field not in allowed:
            raise fail(422, "10015", f"Cannot sort by {key}.", parameter="sort")
        records = sorted(records, key=_text_of(field), reverse=key.startswith("-"))
    return records


def _text_of(field: str) -> Callable[[dict[str, Any]], str]:
    """Sort key: the field as text, missing and null values first."""
    return lambda record: str(record.get(field) or "")


def sort_keys(call: Call) -> list[str]:
    """The sort keys in order, repeated (the spec), bracketed or comma-joined (the SDK)."""
    return call.query.array("sort")


@route("GET", "/requirements")
def list_requirements(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    q = call.query
    country = q.filter_str("country_code")
    ntype = q.filter_str("phone_number_type")
    action = q.filter_str("action")
    if ntype and ntype not in DOC_TYPES:
        raise fail(
            422,
            "10015",
            "filter[phone_number_type] must be local, national or "
            "toll_free here; use /regulatory_requirements for other types.",
            parameter="filter[phone_number_type]",
        )
    if action and action not in ("branded_calling", "ordering", "porting"):
        raise fail(422, "10015", "Unknown filter[action].", parameter="filter[action]")
    version = q.get("version")
    if version not in (None, "", "1"):
        return 200, {"data": [], "meta": whole([])}
    records = [
        r.to_api()
        for r in current_catalogue(sb)
        if (not country or r.country_code == country.upper())
        and (not ntype or r.phone_number_type == ntype)
        and (not action or action in (r.action, "both"))
    ]
    records = _sort(
        records, sort_keys(call), ("created_at", "updated_at", "country_code", "phone_number_type")
    )
    page, meta = paginate(q, records)
    return 200, {"data": page, "meta": meta}


@route("GET", "/requirements/{id}")
def get_requirement(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    requirement = next((r for r in current_catalogue(sb) if r.id == call.params["id"]), None)
    if requirement is None:
        raise not_found("requirement")
    return 200, {"data": requirement.to_api()}


@route("GET", "/requirement_types")
def list_requirement_types(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    contains = call.query.filter_str("name", "contains")
    records = [
        t.to_requirement_type()
        for t in TYPES.values()
        if not contains or contains.lower() in t.name.lower()
    ]
    records = _sort(records, sort_keys(call), ("name", "created_at", "updated_at"))
    return 200, {"data": records, "meta": whole(records)}


@route("GET", "/requirement_types/{id}")
def get_requirement_type(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    rtype = TYPES_BY_ID.get(call.params["id"])
    if rtype is None:
        raise not_found("requirement type")
    return 200, {"data": rtype.to_requirement_type()}


@route("GET", "/regulatory_requirements")
def list_regulatory(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    q = call.query
    country = (q.filter_str("country_code") or "").upper() or None
    ntype = q.filter_str("phone_number_type")
    action = q.filter_str("action") or "ordering"
    phone = q.filter_str("phone_number")
    group_id = q.filter_str("requirement_group_id")
    if ntype and ntype not in REG_TYPES:
        raise fail(
            400,
            "10015",
            "Unknown filter[phone_number_type].",
            parameter="filter[phone_number_type]",
        )
    if action not in ("ordering", "porting", "action"):
        raise fail(400, "10015", "Unknown filter[action].", parameter="filter[action]")
    if phone:
        number = sb.inventory.lookup(phone.strip())
        if number is None:
            country = country or sb.inventory.country_of(phone.strip())
            ntype = ntype or "local"
        else:
            country, ntype = number.country, number.type
    if group_id:
        group = sb.store.get("group", group_id)
        if group is None:
            raise not_found("requirement group")
        country, ntype, action = group["country_code"], group["phone_number_type"], group["action"]
    data = []
    if action != "action":
        for c, t in SETS:
            if (country and c != country) or (ntype and t != ntype):
                continue
            data.append(
                {
                    "action": action,
                    "country_code": c,
                    "phone_number_type": t,
                    "regulatory_requirements": [
                        r.to_regulatory() for r in current_requirements(sb, c, t)
                    ],
                }
            )
    return 200, {"data": data}


@route("GET", "/phone_numbers_regulatory_requirements")
def list_phone_number_requirements(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    raw = call.query.filter_list("phone_number")
    if not raw:
        raise fail(
            400,
            "10004",
            "filter[phone_number] is required (comma-separated E.164).",
            parameter="filter[phone_number]",
        )
    data = []
    for phone in raw:
        number = sb.inventory.lookup(phone)
        country: str | None
        if number is not None:
            country, ntype = number.country, number.type
            regions = number.region_information()
        else:
            country = sb.inventory.country_of(phone)
            if country is None:
                raise fail(
                    400,
                    "10016",
                    f"{phone} is not a known +E.164 number.",
                    parameter="filter[phone_number]",
                )
            ntype = "local"
            regions = [{"region_type": "country_code", "region_name": country}]
        data.append(
            {
                "phone_number": phone,
                "phone_number_type": ntype,
                "record_type": "phone_number_regulatory_requirements",
                "region_information": regions,
                "regulatory_requirements": [
                    r.to_phone_number_requirement()
                    for r in current_requirements(sb, country, ntype)
                ],
            }
        )
    return 200, {"data": data, "meta": whole(data)}
