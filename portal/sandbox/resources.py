"""Addresses, reservations, block orders, bulk (inexplicit) orders and the sub order CSV report.

Background work here: bulk ordering groups are processed (``pending`` -> ``success``,
``partial_success`` or ``failed``), reservations expire after 30 minutes and reports complete.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from . import orders
from .clock import iso, parse_iso
from .errors import ApiError, error, fail, not_found
from .inventory import Number
from .order_api import E164, _created_filter, check_fields, newest_first
from .query import paginate
from .routing import Call, Raw, route
from .search import remember_searched
from .state import SANDBOX_USER_ID, Sandbox

RESERVATION_SECONDS = 30 * 60
MAX_BULK = 10_000
REPORT_TTL = 24 * 3600

# -- addresses -------------------------------------------------------------------------------
ADDRESS_REQUIRED = (
    "first_name",
    "last_name",
    "business_name",
    "street_address",
    "locality",
    "country_code",
)
ADDRESS_TEXT = (
    "customer_reference",
    "first_name",
    "last_name",
    "business_name",
    "phone_number",
    "street_address",
    "extended_address",
    "locality",
    "administrative_area",
    "neighborhood",
    "borough",
    "postal_code",
    "country_code",
)


def render_address(a: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": a["id"],
        "record_type": "address",
        "address_book": a["address_book"],
        "validate_address": a["validate_address"],
        "created_at": iso(a["created_at"]),
        "updated_at": iso(a["updated_at"]),
    }
    for name in ADDRESS_TEXT:
        if a.get(name) is not None:
            out[name] = a[name]
    return out


@route("POST", "/addresses")
def create_address(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    data = call.json()
    errors = []
    for name in ADDRESS_REQUIRED:
        if not isinstance(data.get(name), str) or not data[name].strip():
            errors.append(error("10004", f"{name} is required.", pointer=f"/{name}"))
    for name in ADDRESS_TEXT:
        if name in data and data[name] is not None and not isinstance(data[name], str):
            errors.append(error("10015", f"{name} must be a string.", pointer=f"/{name}"))
    if isinstance(data.get("country_code"), str) and len(data["country_code"]) != 2:
        errors.append(
            error("10015", "country_code must be ISO 3166-1 alpha-2.", pointer="/country_code")
        )
    if errors:
        raise ApiError(422, errors)
    now = sb.now()
    address = {name: data.get(name) for name in ADDRESS_TEXT}
    address.update(
        {
            "id": sb.new_address_id(),
            "country_code": data["country_code"].upper(),
            "address_book": bool(data.get("address_book", True)),
            "validate_address": bool(data.get("validate_address", True)),
            "created_at": now,
            "updated_at": now,
        }
    )
    sb.store.put("address", address)
    return 200, {"data": render_address(address)}


@route("GET", "/addresses")
def list_addresses(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    q = call.query
    records = sb.store.all("address")
    ref = q.filter("customer_reference")
    if isinstance(ref, str):
        records = [a for a in records if ref.lower() in (a.get("customer_reference") or "").lower()]
    elif isinstance(ref, dict):
        if ref.get("eq") is not None:
            records = [a for a in records if a.get("customer_reference") == ref["eq"]]
        if ref.get("contains") is not None:
            records = [
                a
                for a in records
                if str(ref["contains"]).lower() in (a.get("customer_reference") or "").lower()
            ]
    street = q.filter_str("street_address", "contains")
    if street:
        records = [a for a in records if street.lower() in (a.get("street_address") or "").lower()]
    book = q.filter_str("address_book", "eq")
    if book:
        records = [a for a in records if str(a["address_book"]).lower() == book.lower()]
    if q.filter_bool("used_as_emergency"):
        records = []  # no sandbox number has an emergency address; ``false`` keeps them all
    sort = q.get("sort") or "-created_at"
    field = sort.lstrip("-")
    if field not in ("created_at", "first_name", "last_name", "business_name", "street_address"):
        raise fail(400, "10015", f"Cannot sort by {sort}.", parameter="sort")
    descending = sort.startswith("-") or (sort == "created_at" and q.get("sort") is None)
    records = sorted(records, key=lambda a: str(a.get(field) or ""), reverse=descending)
    page, meta = paginate(q, records)
    return 200, {"data": [render_address(a) for a in page], "meta": meta}


def _address(sb: Sandbox, aid: str) -> dict[str, Any]:
    address = sb.store.get("address", aid)
    if address is None:
        raise not_found("address")
    return address


@route("GET", "/addresses/{id}")
def get_address(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, {"data": render_address(_address(sb, call.params["id"]))}


@route("DELETE", "/addresses/{id}")
def delete_address(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    address = _address(sb, call.params["id"])
    for n in sb.store.all("number"):
        if n["status"] == "pending" and any(
            r["field_type"] == "address" and r["field_value"] == address["id"] for r in n["reqs"]
        ):
            raise fail(
                422, "10015", "The address is used by a pending order and cannot be deleted."
            )
    sb.store.delete("address", address["id"])
    return 200, {"data": render_address(address)}


# -- reservations ----------------------------------------------------------------------------
def render_reservation(sb: Sandbox, r: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": r["id"],
        "record_type": "number_reservation",
        "status": r["status"],
        "phone_numbers": [],
        "created_at": iso(r["created_at"]),
        "updated_at": iso(r["updated_at"]),
    }
    for p in r["phone_numbers"]:
        item = {
            "id": p["id"],
            "record_type": "reserved_phone_number",
            "phone_number": p["phone_number"],
            "status": p["status"],
            "created_at": iso(r["created_at"]),
            "updated_at": iso(p["updated_at"]),
        }
        if p.get("expired_at") is not None:
            item["expired_at"] = iso(p["expired_at"])
        if p.get("errors"):
            item["errors"] = p["errors"]
        out["phone_numbers"].append(item)
    if r.get("customer_reference") is not None:
        out["customer_reference"] = r["customer_reference"]
    errors = [p["errors"] for p in r["phone_numbers"] if p.get("errors")]
    if errors:
        out["errors"] = "; ".join(errors)
    return out


@route("POST", "/number_reservations")
def create_reservation(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    data = call.json()
    fields = check_fields(data, ("customer_reference",))
    raw = data.get("phone_numbers")
    if not isinstance(raw, list) or not raw:
        raise fail(
            422, "10004", "phone_numbers must list at least one number.", pointer="/phone_numbers"
        )
    now = sb.now()
    rid = sb.new_id()
    items: list[dict[str, Any]] = []
    errors = []
    for i, item in enumerate(raw):
        phone = item.get("phone_number") if isinstance(item, dict) else None
        if not isinstance(phone, str) or not E164.match(phone):
            errors.append(
                error(
                    "10016",
                    "Each phone_number must be +E.164.",
                    pointer=f"/phone_numbers/{i}/phone_number",
                )
            )
            continue
        inv = sb.inventory.by_phone.get(phone)
        problem = None
        if inv is None:
            problem = "Number not found"
        elif inv.on_hold or not sb.is_available(phone):
            problem = "Number is already on hold"
        elif not inv.reservable:
            problem = "Number is not reservable"
        entry: dict[str, Any] = {
            "id": sb.new_id(),
            "phone_number": phone,
            "updated_at": now,
            "status": "failure" if problem else "success",
            "expired_at": None if problem else now + RESERVATION_SECONDS,
        }
        if problem:
            entry["errors"] = problem
        else:
            sb.store.put(
                "reserved", {"id": phone, "reservation_id": rid, "until": entry["expired_at"]}
            )
        items.append(entry)
    if errors:
        raise ApiError(422, errors)
    status = "failure" if all(p["status"] == "failure" for p in items) else "success"
    reservation = {
        "id": rid,
        "status": status,
        "phone_numbers": items,
        "customer_reference": fields["customer_reference"],
        "created_at": now,
        "updated_at": now,
    }
    sb.store.put("reservation", reservation)
    remember_searched(sb, [p["phone_number"] for p in items if p["status"] == "success"])
    return 200, {"data": render_reservation(sb, reservation)}


@route("GET", "/number_reservations")
def list_reservations(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    q = call.query
    records = sb.store.all("reservation")
    status = q.filter_str("status")
    ref = q.filter_str("customer_reference")
    phone = q.filter_str("phone_numbers.phone_number")
    if status:
        records = [r for r in records if r["status"] == status]
    if ref is not None:
        records = [r for r in records if r.get("customer_reference") == ref]
    if phone:
        records = [
            r for r in records if any(p["phone_number"] == phone for p in r["phone_numbers"])
        ]
    records = _created_filter(q, records)
    page, meta = paginate(q, newest_first(records))
    return 200, {"data": [render_reservation(sb, r) for r in page], "meta": meta}


def _reservation(sb: Sandbox, rid: str) -> dict[str, Any]:
    r = sb.store.get("reservation", rid)
    if r is None:
        raise not_found("number reservation")
    return r


@route("GET", "/number_reservations/{number_reservation_id}")
def get_reservation(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    r = _reservation(sb, call.params["number_reservation_id"])
    return 200, {"data": render_reservation(sb, r)}


@route("POST", "/number_reservations/{number_reservation_id}/actions/extend")
def extend_reservation(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    r = _reservation(sb, call.params["number_reservation_id"])
    now = sb.now()
    live = [
        p
        for p in r["phone_numbers"]
        if p["status"] == "success"
        and p["expired_at"]
        and p["expired_at"] > now
        and not sb.is_taken(p["phone_number"])
    ]
    if not live:
        raise fail(422, "10015", "The reservation has expired or holds no numbers.")
    for p in live:
        p["expired_at"] += RESERVATION_SECONDS
        p["updated_at"] = now
        sb.store.put(
            "reserved",
            {"id": p["phone_number"], "reservation_id": r["id"], "until": p["expired_at"]},
        )
    r["updated_at"] = now
    sb.store.put("reservation", r)
    return 200, {"data": render_reservation(sb, r)}


# -- block orders ----------------------------------------------------------------------------
def render_block(sb: Sandbox, b: dict[str, Any]) -> dict[str, Any]:
    order = sb.store.get("order", b["order_id"])
    out = {
        "id": b["id"],
        "record_type": "number_block_order",
        "starting_number": b["starting_number"],
        "range": b["range"],
        "phone_numbers_count": b["range"],
        "status": b["status"],
        "requirements_met": orders.render_order(sb, order)["requirements_met"] if order else False,
        "created_at": iso(b["created_at"]),
        "updated_at": iso(b["updated_at"]),
    }
    for name in ("connection_id", "messaging_profile_id", "customer_reference"):
        if b.get(name) is not None:
            out[name] = b[name]
    return out


@route("POST", "/number_block_orders")
def create_block_order(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    data = call.json()
    fields = check_fields(data, ("connection_id", "messaging_profile_id", "customer_reference"))
    start = data.get("starting_number")
    size = data.get("range")
    errors = []
    if not isinstance(start, str) or not E164.match(start):
        errors.append(error("10016", "starting_number must be +E.164.", pointer="/starting_number"))
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        errors.append(error("10004", "range must be a positive integer.", pointer="/range"))
    if errors:
        raise ApiError(422, errors)
    assert isinstance(start, str)  # narrowed by the checks above
    block = sb.inventory.block_by_start.get(start)
    if block is None or block.range != size or sb.store.get("searched", start) is None:
        raise fail(
            422,
            "85000",
            f"The block {start} (+{size}) must be found with a block "
            "search via the API before it can be ordered.",
            pointer="/starting_number",
        )
    if any(not sb.is_available(p) for p in block.numbers):
        raise fail(422, "85001", "The block is no longer available.", pointer="/starting_number")
    items: list[tuple[Number, dict[str, Any]]] = [
        (sb.inventory.block_numbers[p], {}) for p in block.numbers
    ]
    order = orders.create_order(sb, items, {**fields, "billing_group_id": None}, is_block=True)
    now = sb.now()
    record = {
        "id": sb.new_id(),
        "order_id": order["id"],
        "starting_number": start,
        "range": size,
        "status": "pending",
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    sb.store.put("block_order", record)
    return 200, {"data": render_block(sb, record)}


@route("GET", "/number_block_orders")
def list_block_orders(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    q = call.query
    records = sb.store.all("block_order")
    status = q.filter_str("status")
    start = q.filter_str("phone_numbers.starting_number")
    if status:
        records = [r for r in records if r["status"] == status]
    if start:
        records = [r for r in records if r["starting_number"] == start]
    records = _created_filter(q, records)
    page, meta = paginate(q, newest_first(records))
    return 200, {"data": [render_block(sb, r) for r in page], "meta": meta}


@route("GET", "/number_block_orders/{number_block_order_id}")
def get_block_order(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    b = sb.store.get("block_order", call.params["number_block_order_id"])
    if b is None:
        raise not_found("number block order")
    return 200, {"data": render_block(sb, b)}


# -- inexplicit (bulk) orders ----------------------------------------------------------------
GROUP_ECHO = (
    "administrative_area",
    "locality",
    "national_destination_code",
    "exclude_held_numbers",
    "quickship",
    "features",
)


def render_inexplicit(r: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": r["id"],
        "ordering_groups": [],
        "created_at": iso(r["created_at"]),
        "updated_at": iso(r["updated_at"]),
    }
    for name in ("customer_reference", "connection_id", "messaging_profile_id", "billing_group_id"):
        if r.get(name) is not None:
            out[name] = r[name]
    for g in r["ordering_groups"]:
        item = {
            "country_iso": g["country_iso"],
            "phone_number_type": g["phone_number_type"],
            "count_requested": g["count_requested"],
            "count_allocated": g["count_allocated"],
            "strategy": g["strategy"],
            "status": g["status"],
            "orders": g["orders"],
            "created_at": iso(r["created_at"]),
            "updated_at": iso(g["updated_at"]),
        }
        for name in GROUP_ECHO:
            if g.get(name) is not None:
                item[name] = g[name]
        for part in ("starts_with", "contains", "ends_with"):
            if g.get(part):
                item[f"phone_number[{part}]"] = g[part]
        if g.get("error_reason"):
            item["error_reason"] = g["error_reason"]
        out["ordering_groups"].append(item)
    return out


@route("POST", "/inexplicit_number_orders")
def create_inexplicit(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    data = call.json()
    fields = check_fields(
        data, ("customer_reference", "connection_id", "messaging_profile_id", "billing_group_id")
    )
    raw = data.get("ordering_groups")
    if not isinstance(raw, list) or not raw:
        raise fail(
            422,
            "10004",
            "ordering_groups must list at least one group.",
            pointer="/ordering_groups",
        )
    errors = []
    groups = []
    total = 0
    now = sb.now()
    for i, g in enumerate(raw):
        at = f"/ordering_groups/{i}"
        if not isinstance(g, dict):
            errors.append(error("10015", "Each ordering group must be an object.", pointer=at))
            continue
        if g.get("country_iso") not in ("US", "CA"):
            errors.append(
                error("10015", "country_iso must be US or CA.", pointer=f"{at}/country_iso")
            )
        count = g.get("count_requested")
        if isinstance(count, str) and count.strip().isdigit():
            count = int(count)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            errors.append(
                error(
                    "10004",
                    "count_requested must be a positive number (string).",
                    pointer=f"{at}/count_requested",
                )
            )
            count = 0
        if g.get("phone_number_type") not in ("local", "toll_free"):
            errors.append(
                error(
                    "10004",
                    "phone_number_type must be local or toll_free.",
                    pointer=f"{at}/phone_number_type",
                )
            )
        strategy = g.get("strategy", "always")
        if strategy not in ("always", "never"):
            errors.append(
                error("10015", "strategy must be always or never.", pointer=f"{at}/strategy")
            )
        total += count
        raw_pattern = g.get("phone_number")
        pattern = raw_pattern if isinstance(raw_pattern, dict) else {}
        groups.append(
            {
                "country_iso": g.get("country_iso"),
                "phone_number_type": g.get("phone_number_type"),
                "count_requested": count,
                "count_allocated": 0,
                "strategy": strategy,
                "status": "pending",
                "orders": [],
                "updated_at": now,
                **{name: g.get(name) for name in GROUP_ECHO},
                **{part: pattern.get(part) for part in ("starts_with", "contains", "ends_with")},
            }
        )
    if total > MAX_BULK:
        errors.append(
            error(
                "10015", f"At most {MAX_BULK} numbers per bulk order.", pointer="/ordering_groups"
            )
        )
    if errors:
        raise ApiError(422, errors)
    record = {
        "id": sb.new_id(),
        "ordering_groups": groups,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    sb.store.put("inexplicit", record)
    return 200, {"data": render_inexplicit(record)}


def _matches(n: Any, g: dict[str, Any]) -> bool:
    if n.type != g["phone_number_type"] or (n.on_hold and g.get("exclude_held_numbers")):
        return False
    if g.get("administrative_area") and n.admin_area.lower() != g["administrative_area"].lower():
        return False
    if g.get("locality") and n.locality.lower() != g["locality"].lower():
        return False
    ndc = g.get("national_destination_code")
    if ndc and n.ndc != ndc:
        return False
    target = n.national[len(n.ndc) :] if ndc else n.national
    if g.get("starts_with") and not target.startswith(g["starts_with"]):
        return False
    if g.get("contains") and g["contains"] not in target:
        return False
    if g.get("ends_with") and not target.endswith(g["ends_with"]):
        return False
    if g.get("quickship") and not n.quickship:
        return False
    features = g.get("features") or []
    return all(f in n.features for f in features)


def _process_inexplicit(sb: Sandbox, record: dict[str, Any]) -> None:
    for g in record["ordering_groups"]:
        if g["status"] != "pending":
            continue
        wanted = g["count_requested"]
        found = [
            n
            for n in sb.inventory.by_country.get(g["country_iso"], [])
            if _matches(n, g) and sb.is_available(n.phone_number)
        ][:wanted]
        g["updated_at"] = sb.now()
        if not found or (g["strategy"] == "never" and len(found) < wanted):
            g["status"] = "failed"
            g["error_reason"] = (
                f"Only {len(found)} of {wanted} numbers are available"
                if found
                else "No numbers match the ordering group"
            )
            continue
        fields = {
            k: record.get(k)
            for k in (
                "customer_reference",
                "connection_id",
                "messaging_profile_id",
                "billing_group_id",
            )
        }
        order = orders.create_order(sb, [(n, {}) for n in found], fields)
        g["count_allocated"] = len(found)
        g["orders"] = [
            {"number_order_id": order["id"], "sub_number_order_ids": list(order["sub_ids"])}
        ]
        if len(found) < wanted:
            g["status"] = "partial_success"
            g["error_reason"] = f"Only {len(found)} of {wanted} numbers were available"
        else:
            g["status"] = "success"
    record["updated_at"] = sb.now()
    sb.store.put("inexplicit", record)


@route("GET", "/inexplicit_number_orders")
def list_inexplicit(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    page, meta = paginate(call.query, newest_first(sb.store.all("inexplicit")))
    return 200, {"data": [render_inexplicit(r) for r in page], "meta": meta}


@route("GET", "/inexplicit_number_orders/{id}")
def get_inexplicit(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    record = sb.store.get("inexplicit", call.params["id"])
    if record is None:
        raise not_found("inexplicit number order")
    return 200, {"data": render_inexplicit(record)}


# -- sub number orders report ----------------------------------------------------------------
REPORT_FILTERS = (
    "country_code",
    "created_at_gt",
    "created_at_lt",
    "customer_reference",
    "order_request_id",
    "status",
)
CSV_COLUMNS = (
    "id",
    "order_request_id",
    "is_block_sub_number_order",
    "status",
    "phone_number_type",
    "requirements_met",
    "phone_numbers_count",
    "country_code",
    "user_id",
    "customer_reference",
    "created_at",
    "updated_at",
)


def render_report(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "order_type": "sub_number_order",
        "status": r["status"],
        "filters": r["filters"],
        "user_id": SANDBOX_USER_ID,
        "created_at": iso(r["created_at"]),
        "updated_at": iso(r["updated_at"]),
    }


@route("POST", "/sub_number_orders_report")
def create_report(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    data = call.json(required=False)
    filters = {k: data[k] for k in REPORT_FILTERS if data.get(k) is not None}
    if "status" in filters and filters["status"] not in ("pending", "success", "failure"):
        raise fail(422, "10015", "status must be pending, success or failure.", pointer="/status")
    for name in ("created_at_gt", "created_at_lt"):
        if name in filters and parse_iso(str(filters[name])) is None:
            raise fail(422, "10015", f"{name} is not a date-time.", pointer=f"/{name}")
    now = sb.now()
    report = {
        "id": sb.new_id(),
        "status": "pending",
        "filters": filters,
        "created_at": now,
        "updated_at": now,
    }
    sb.store.put("report", report)
    return 202, {"data": render_report(report)}


def _csv_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _build_csv(sb: Sandbox, filters: dict[str, Any]) -> bytes:
    gt = parse_iso(str(filters["created_at_gt"])) if "created_at_gt" in filters else None
    lt = parse_iso(str(filters["created_at_lt"])) if "created_at_lt" in filters else None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for sub in sb.store.all("sub"):
        rendered = orders.render_sub(sb, sub)
        if filters.get("country_code") and sub["country_code"] != filters["country_code"]:
            continue
        if filters.get("status") and sub["status"] != filters["status"]:
            continue
        if filters.get("order_request_id") and sub["order_id"] != filters["order_request_id"]:
            continue
        if (
            filters.get("customer_reference")
            and sub.get("customer_reference") != filters["customer_reference"]
        ):
            continue
        if (gt and sub["created_at"] <= gt) or (lt and sub["created_at"] >= lt):
            continue
        writer.writerow(
            [
                sub["id"],
                sub["order_id"],
                str(sub["is_block"]),
                sub["status"],
                sub["phone_number_type"],
                str(rendered["requirements_met"]),
                len(sub["number_ids"]),
                sub["country_code"],
                SANDBOX_USER_ID,
                sub.get("customer_reference") or "",
                _csv_time(sub["created_at"]),
                _csv_time(sub["updated_at"]),
            ]
        )
    return out.getvalue().encode()


def _report(sb: Sandbox, rid: str) -> dict[str, Any]:
    report = sb.store.get("report", rid)
    if report is None:
        raise not_found("sub number orders report")
    return report


@route("GET", "/sub_number_orders_report/{report_id}")
def get_report(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, {"data": render_report(_report(sb, call.params["report_id"]))}


@route("GET", "/sub_number_orders_report/{report_id}/download")
def download_report(sb: Sandbox, call: Call) -> Raw:
    report = _report(sb, call.params["report_id"])
    if report["status"] != "success":
        raise fail(
            422,
            "10015",
            f"The report is {report['status']}; it can be downloaded once its status is success.",
        )
    return Raw(
        200,
        sb.store.get_blob(f"report:{report['id']}") or b"",
        "text/csv",
        {"content-disposition": f'attachment; filename="sub_number_orders_{report["id"]}.csv"'},
    )


# -- background ------------------------------------------------------------------------------
def run_due(sb: Sandbox) -> None:
    now = sb.now()
    for record in sb.store.all("inexplicit"):
        if any(g["status"] == "pending" for g in record["ordering_groups"]):
            _process_inexplicit(sb, record)
    for held in sb.store.all("reserved"):
        if held["until"] <= now:
            sb.store.delete("reserved", held["id"])
    for report in sb.store.all("report"):
        if report["status"] == "pending" and report["created_at"] + sb.config.report_seconds <= now:
            sb.store.put_blob(f"report:{report['id']}", _build_csv(sb, report["filters"]))
            report["status"] = "success"
            report["updated_at"] = now
            sb.store.put("report", report)
        elif report["status"] == "success" and report["updated_at"] + REPORT_TTL <= now:
            report["status"] = "expired"
            report["updated_at"] = now
            sb.store.delete_blob(f"report:{report['id']}")
            sb.store.put("report", report)
