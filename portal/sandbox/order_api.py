"""Handlers for ``/number_orders``, ``/sub_number_orders`` and ``/number_order_phone_numbers``."""

from __future__ import annotations

import re
from typing import Any

from . import orders, vetting
from .catalogue import GROUP_MANDATORY, current_requirements
from .clock import parse_iso
from .errors import ApiError, error, fail, not_found
from .inventory import Number
from .query import Query, paginate
from .routing import Call, route
from .state import Sandbox

E164 = re.compile(r"^\+[1-9]\d{5,14}$")
ORDER_FIELDS = ("customer_reference", "connection_id", "messaging_profile_id", "billing_group_id")


def group_problem(sb: Sandbox, group: dict[str, Any], country: str, ntype: str) -> str | None:
    """Why this requirement group cannot be used for a number of that country and type."""
    if group["country_code"] != country or group["phone_number_type"] != ntype:
        return (
            f"Requirement group {group['id']} is for {group['country_code']} "
            f"{group['phone_number_type']} numbers, not {country} {ntype}."
        )
    if group.get("action", "ordering") != "ordering":
        return f"Requirement group {group['id']} is not an ordering group."
    if group["status"] in ("expired", "no-longer-eligible"):
        return f"Requirement group {group['id']} is {group['status']}; create a new one."
    if any(not r.get("field_value") for r in group["regulatory_requirements"]):
        return f"Requirement group {group['id']} is not fulfilled (values are missing)."
    return None


def check_order_items(
    sb: Sandbox, raw: Any, pointer: str = "/phone_numbers"
) -> list[tuple[Number, dict[str, Any]]]:
    """Validate ``phone_numbers`` of a create-order body (all problems reported together)."""
    if not isinstance(raw, list) or not raw:
        raise ApiError(
            422, [error("10004", "phone_numbers must list at least one number.", pointer=pointer)]
        )
    errors: list[dict[str, Any]] = []
    items: list[tuple[Number, dict[str, Any]]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        at = f"{pointer}/{i}"
        if not isinstance(item, dict) or not isinstance(item.get("phone_number"), str):
            errors.append(error("10004", "Each item needs a phone_number.", pointer=at))
            continue
        phone = item["phone_number"].strip()
        if not E164.match(phone):
            errors.append(
                error("10016", f"{phone!r} is not an +E.164 number.", pointer=f"{at}/phone_number")
            )
            continue
        if phone in seen:
            errors.append(error("10015", f"{phone} is listed twice.", pointer=f"{at}/phone_number"))
            continue
        seen.add(phone)
        inv = sb.inventory.by_phone.get(phone)
        reserved = sb.reservation_of(phone)
        if inv is None or (sb.store.get("searched", phone) is None and reserved is None):
            errors.append(
                error(
                    "85000",
                    f"{phone} must be found with a phone number search via the API before it can "
                    "be ordered.",
                    pointer=f"{at}/phone_number",
                )
            )
            continue
        if sb.is_taken(phone):
            errors.append(
                error("85001", f"{phone} is no longer available.", pointer=f"{at}/phone_number")
            )
            continue
        gid = item.get("requirement_group_id")
        needs = bool(current_requirements(sb, inv.country, inv.type))
        if gid:
            group = sb.store.get("group", gid)
            if group is None:
                errors.append(
                    error(
                        "10017",
                        f"Requirement group {gid} does not exist.",
                        pointer=f"{at}/requirement_group_id",
                    )
                )
                continue
            problem = group_problem(sb, group, inv.country, inv.type)
            if problem:
                errors.append(error("10015", problem, pointer=f"{at}/requirement_group_id"))
                continue
        elif needs and inv.country in GROUP_MANDATORY:
            errors.append(
                error(
                    "10015",
                    f"{inv.country} numbers can only be ordered with a fulfilled requirement group "
                    "(phone_numbers[].requirement_group_id).",
                    pointer=f"{at}/requirement_group_id",
                )
            )
            continue
        items.append((inv, item))
    if errors:
        raise ApiError(422, errors)
    return items


def check_fields(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    errors = []
    for name in names:
        if name in data and data[name] is not None and not isinstance(data[name], str):
            errors.append(error("10015", f"{name} must be a string.", pointer=f"/{name}"))
    if errors:
        raise ApiError(422, errors)
    return {name: data.get(name) for name in names}


def _created_filter(q: Query, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    gt = q.filter_str("created_at", "gt")
    lt = q.filter_str("created_at", "lt")
    for name, raw in (("gt", gt), ("lt", lt)):
        if raw is None:
            continue
        ts = parse_iso(raw)
        if ts is None:
            raise fail(
                400,
                "10015",
                f"filter[created_at][{name}] is not a date-time.",
                parameter=f"filter[created_at][{name}]",
            )
        records = [
            r for r in records if (r["created_at"] > ts if name == "gt" else r["created_at"] < ts)
        ]
    return records


def newest_first(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(reversed(records))


# -- number orders ---------------------------------------------------------------------------
@route("POST", "/number_orders")
def create_number_order(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    data = call.json()
    fields = check_fields(data, ORDER_FIELDS)
    items = check_order_items(sb, data.get("phone_numbers"))
    order = orders.create_order(sb, items, fields)
    return 200, {"data": orders.render_order(sb, order)}


@route("GET", "/number_orders")
def list_number_orders(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    q = call.query
    records = sb.store.all("order")
    status = q.filter_str("status")
    ref = q.filter_str("customer_reference")
    count = q.filter_str("phone_numbers_count")
    met = q.filter_bool("requirements_met")
    if status:
        records = [r for r in records if r["status"] == status]
    if ref is not None:
        records = [r for r in records if r.get("customer_reference") == ref]
    if count:
        records = [r for r in records if str(len(r["number_ids"])) == count]
    records = _created_filter(q, records)
    if met is not None:
        records = [r for r in records if orders.render_order(sb, r)["requirements_met"] == met]
    page, meta = paginate(q, newest_first(records))
    return 200, {"data": [orders.render_order(sb, r) for r in page], "meta": meta}


def _order(sb: Sandbox, oid: str) -> dict[str, Any]:
    order = sb.store.get("order", oid)
    if order is None:
        raise not_found("number order")
    return order


@route("GET", "/number_orders/{number_order_id}")
def get_number_order(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, {"data": orders.render_order(sb, _order(sb, call.params["number_order_id"]))}


@route("PATCH", "/number_orders/{number_order_id}")
def update_number_order(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    order = _order(sb, call.params["number_order_id"])
    data = call.json()
    fields = check_fields(data, ("customer_reference",))
    if "regulatory_requirements" in data:
        subs = [sb.store.require("sub", sid) for sid in order["sub_ids"]]
        allowed = {r["requirement_id"]: r["field_type"] for s in subs for r in s["requirements"]}
        pairs = vetting.validate_values(sb, data["regulatory_requirements"], allowed)
        if order["status"] != "pending":
            raise fail(422, "10015", "Requirements can only be changed while the order is pending.")
        for sub in subs:
            if sub["status"] != "pending":
                continue
            own = {r["requirement_id"] for r in sub["requirements"]}
            mine = [(rid, v) for rid, v in pairs if rid in own]
            for nid in sub["number_ids"]:
                vetting.set_values(sb, sb.store.require("number", nid), mine)
    if "customer_reference" in data:
        order["customer_reference"] = fields["customer_reference"]
        for sid in order["sub_ids"]:
            sub = sb.store.require("sub", sid)
            sub["customer_reference"] = fields["customer_reference"]
            orders.touch(sb, "sub", sub)
    orders.touch(sb, "order", order)
    return 200, {"data": orders.render_order(sb, order)}


# -- sub number orders -----------------------------------------------------------------------
def _sub(sb: Sandbox, sid: str) -> dict[str, Any]:
    sub = sb.store.get("sub", sid)
    if sub is None:
        raise not_found("sub number order")
    return sub


@route("GET", "/sub_number_orders")
def list_sub_orders(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    q = call.query
    records = sb.store.all("sub")
    for key, field in (
        ("status", "status"),
        ("order_request_id", "order_id"),
        ("country_code", "country_code"),
        ("phone_number_type", "phone_number_type"),
    ):
        value = q.filter_str(key)
        if value:
            records = [r for r in records if r[field] == value]
    count = q.filter_str("phone_numbers_count")
    if count:
        records = [r for r in records if str(len(r["number_ids"])) == count]
    include = bool(q.filter_bool("include_phone_numbers"))
    page, meta = paginate(q, newest_first(records))
    return 200, {"data": [orders.render_sub(sb, r, include) for r in page], "meta": meta}


@route("GET", "/sub_number_orders/{sub_number_order_id}")
def get_sub_order(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    sub = _sub(sb, call.params["sub_number_order_id"])
    include = bool(call.query.filter_bool("include_phone_numbers"))
    return 200, {"data": orders.render_sub(sb, sub, include)}


@route("PATCH", "/sub_number_orders/{sub_number_order_id}")
def update_sub_order(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    sub = _sub(sb, call.params["sub_number_order_id"])
    data = call.json()
    allowed = {r["requirement_id"]: r["field_type"] for r in sub["requirements"]}
    pairs = vetting.validate_values(sb, data.get("regulatory_requirements", []), allowed)
    if sub["status"] != "pending":
        raise fail(
            422,
            "10015",
            f"The sub number order is {sub['status']}; requirements can "
            "only be changed while it is pending.",
        )
    for nid in sub["number_ids"]:
        vetting.set_values(sb, sb.store.require("number", nid), pairs)
    orders.touch(sb, "sub", sub)
    return 200, {"data": orders.render_sub(sb, sb.store.require("sub", sub["id"]))}


@route("PATCH", "/sub_number_orders/{sub_number_order_id}/cancel")
def cancel_sub_order(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    sub = _sub(sb, call.params["sub_number_order_id"])
    if sub["status"] != "pending":
        raise fail(
            422,
            "10015",
            f"Only pending sub number orders can be cancelled; this one is {sub['status']}.",
        )
    orders.cancel_sub(sb, sub)
    return 200, {"data": orders.render_sub(sb, sub)}


def _group_from_body(sb: Sandbox, call: Call) -> dict[str, Any]:
    data = call.json()
    gid = data.get("requirement_group_id")
    if not isinstance(gid, str) or not gid:
        raise fail(
            422, "10004", "requirement_group_id is required.", pointer="/requirement_group_id"
        )
    group = sb.store.get("group", gid)
    if group is None:
        raise fail(
            422,
            "10017",
            f"Requirement group {gid} does not exist.",
            pointer="/requirement_group_id",
        )
    return group


@route("POST", "/sub_number_orders/{id}/requirement_group")
def attach_group_to_sub(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    sub = _sub(sb, call.params["id"])
    group = _group_from_body(sb, call)
    problem = group_problem(sb, group, sub["country_code"], sub["phone_number_type"])
    if problem:
        raise fail(422, "10015", problem, pointer="/requirement_group_id")
    if sub["status"] != "pending":
        raise fail(422, "10015", "A requirement group can only be attached to a pending order.")
    for nid in sub["number_ids"]:
        vetting.apply_group(sb, sb.store.require("number", nid), group)
    orders.touch(sb, "sub", sub)
    data = orders.render_sub(sb, sb.store.require("sub", sub["id"]), include_numbers=True)
    return 200, {"data": data}


# -- number order phone numbers --------------------------------------------------------------
def _number(sb: Sandbox, nid: str) -> dict[str, Any]:
    n = sb.store.get("number", nid)
    if n is None:
        raise not_found("number order phone number")
    return n


@route("GET", "/number_order_phone_numbers")
def list_numbers(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    q = call.query
    records = sb.store.all("number")
    for key, field in (
        ("country_code", "country_code"),
        ("sub_number_order_id", "sub_id"),
        ("order_request_id", "order_id"),
        ("status", "status"),
        ("requirements_status", "requirements_status"),
        ("phone_number", "phone_number"),
    ):
        value = q.filter_str(key)
        if value:
            records = [r for r in records if r[field] == value]
    page, meta = paginate(q, newest_first(records))
    return 200, {"data": [orders.render_number(r) for r in page], "meta": meta}


@route("GET", "/number_order_phone_numbers/{number_order_phone_number_id}")
def get_number(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    n = _number(sb, call.params["number_order_phone_number_id"])
    return 200, {"data": orders.render_number(n)}


@route("PATCH", "/number_order_phone_numbers/{number_order_phone_number_id}")
def update_number(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    n = _number(sb, call.params["number_order_phone_number_id"])
    data = call.json()
    allowed = {r["requirement_id"]: r["field_type"] for r in n["reqs"]}
    pairs = vetting.validate_values(sb, data.get("regulatory_requirements", []), allowed)
    if n["status"] != "pending":
        raise fail(422, "10015", "Requirements can only be changed while the number is pending.")
    vetting.set_values(sb, n, pairs)
    return 200, {"data": orders.render_number(sb.store.require("number", n["id"]))}


@route("POST", "/number_order_phone_numbers/{id}/requirement_group")
def attach_group_to_number(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    n = _number(sb, call.params["id"])
    group = _group_from_body(sb, call)
    problem = group_problem(sb, group, n["country_code"], n["phone_number_type"])
    if problem:
        raise fail(422, "10015", problem, pointer="/requirement_group_id")
    if n["status"] != "pending":
        raise fail(422, "10015", "A requirement group can only be attached to a pending number.")
    vetting.apply_group(sb, n, group)
    return 200, {"data": orders.render_number(sb.store.require("number", n["id"]))}
