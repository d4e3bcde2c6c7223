"""Number orders, sub number orders and their numbers: records, rendering and status roll-up.

One order splits into one sub order per (country, number type). Values and vetting state live on
each number; a sub order succeeds when all its numbers do, and the parent order finishes when
every sub order has finished, which fires ``number_order.complete``.
"""

from __future__ import annotations

from typing import Any

from . import webhooks
from .catalogue import current_requirements
from .clock import iso
from .inventory import Number
from .state import SANDBOX_USER_ID, Sandbox

TERMINAL = ("success", "failure", "cancelled", "deleted")
REQ_RECORD = "phone_number_regulatory_requirement"


def _opt(record: dict[str, Any], out: dict[str, Any], *names: str) -> None:
    """Copy optional string fields only when set (the spec does not allow null for them)."""
    for name in names:
        if record.get(name) is not None:
            out[name] = record[name]


# -- rendering -------------------------------------------------------------------------------
def number_reqs(n: dict[str, Any], with_record_type: bool = True) -> list[dict[str, Any]]:
    items = []
    for r in n["reqs"]:
        item: dict[str, Any] = {
            "requirement_id": r["requirement_id"],
            "field_type": r["field_type"],
        }
        if r.get("field_value") is not None:
            item["field_value"] = r["field_value"]
        if with_record_type:
            item["record_type"] = REQ_RECORD
        item["status"] = r["status"]
        items.append(item)
    return items


def render_order_number(n: dict[str, Any]) -> dict[str, Any]:
    """An item of ``NumberOrderWithPhoneNumbers.phone_numbers`` (no deadline, no sub order id)."""
    out = {
        "id": n["id"],
        "record_type": "number_order_phone_number",
        "phone_number": n["phone_number"],
        "country_code": n["country_code"],
        "country_iso_alpha2": n["country_code"],
        "phone_number_type": n["phone_number_type"],
        "regulatory_requirements": number_reqs(n),
        "requirements_met": n["requirements_met"],
        "requirements_status": n["requirements_status"],
        "status": n["status"],
    }
    _opt(n, out, "bundle_id")
    return out


def render_number(n: dict[str, Any]) -> dict[str, Any]:
    """``NumberOrderPhoneNumber``: the per-number record, the only one with a deadline."""
    return {
        "id": n["id"],
        "record_type": "number_order_phone_number",
        "phone_number": n["phone_number"],
        "order_request_id": n["order_id"],
        "sub_number_order_id": n["sub_id"],
        "country_code": n["country_code"],
        "locality": n["locality"],
        "phone_number_type": n["phone_number_type"],
        "is_block_number": n["is_block_number"],
        "bundle_id": n.get("bundle_id"),
        "regulatory_requirements": number_reqs(n),
        "requirements_met": n["requirements_met"],
        "requirements_status": n["requirements_status"],
        "status": n["status"],
        "deadline": iso(n["deadline"]),
    }


def render_sub_number(n: dict[str, Any]) -> dict[str, Any]:
    """``SubNumberOrderPhoneNumber`` (embedded with ``include_phone_numbers``)."""
    return {
        "id": n["id"],
        "record_type": "number_order_phone_number",
        "phone_number": n["phone_number"],
        "country_code": n["country_code"],
        "phone_number_type": n["phone_number_type"],
        "bundle_id": n.get("bundle_id"),
        "regulatory_requirements": number_reqs(n, with_record_type=False),
        "requirements_met": n["requirements_met"],
        "requirements_status": n["requirements_status"],
        "status": n["status"],
    }


def render_sub(sb: Sandbox, sub: dict[str, Any], include_numbers: bool = False) -> dict[str, Any]:
    numbers = [sb.store.get("number", nid) for nid in sub["number_ids"]]
    out: dict[str, Any] = {
        "id": sub["id"],
        "record_type": "sub_number_order",
        "order_request_id": sub["order_id"],
        "country_code": sub["country_code"],
        "phone_number_type": sub["phone_number_type"],
        "phone_numbers_count": len(sub["number_ids"]),
        "status": sub["status"],
        "requirements_met": all(n["requirements_met"] for n in numbers if n),
        "is_block_sub_number_order": sub["is_block"],
        "user_id": SANDBOX_USER_ID,
        "regulatory_requirements": [
            {
                "requirement_id": r["requirement_id"],
                "field_type": r["field_type"],
                "record_type": REQ_RECORD,
            }
            for r in sub["requirements"]
        ],
        "created_at": iso(sub["created_at"]),
        "updated_at": iso(sub["updated_at"]),
    }
    _opt(sub, out, "customer_reference")
    if include_numbers:
        out["phone_numbers"] = [render_sub_number(n) for n in numbers[:50] if n]
    return out


def render_order(sb: Sandbox, order: dict[str, Any]) -> dict[str, Any]:
    numbers = [sb.store.get("number", nid) for nid in order["number_ids"]]
    out: dict[str, Any] = {
        "id": order["id"],
        "record_type": "number_order",
        "status": order["status"],
        "requirements_met": all(n["requirements_met"] for n in numbers if n),
        "phone_numbers_count": len(order["number_ids"]),
        "sub_number_orders_ids": list(order["sub_ids"]),
        "phone_numbers": [render_order_number(n) for n in numbers if n],
        "created_at": iso(order["created_at"]),
        "updated_at": iso(order["updated_at"]),
    }
    _opt(
        order,
        out,
        "customer_reference",
        "connection_id",
        "messaging_profile_id",
        "billing_group_id",
    )
    return out


# -- creation --------------------------------------------------------------------------------
def create_order(
    sb: Sandbox,
    items: list[tuple[Number, dict[str, Any]]],
    fields: dict[str, Any],
    is_block: bool = False,
) -> dict[str, Any]:
    """Create an order from validated (number, request item) pairs; split into sub orders."""
    from . import vetting  # circular: vetting rolls statuses up through this module

    now = sb.now()
    order: dict[str, Any] = {
        "id": sb.new_id(),
        "status": "pending",
        "sub_ids": [],
        "number_ids": [],
        "created_at": now,
        "updated_at": now,
        "notified": False,
        **{
            k: fields.get(k)
            for k in (
                "customer_reference",
                "connection_id",
                "messaging_profile_id",
                "billing_group_id",
            )
        },
    }
    subs: dict[tuple[str, str], dict[str, Any]] = {}
    numbers: list[dict[str, Any]] = []
    for inv, item in items:
        key = (inv.country, inv.type)
        sub = subs.get(key)
        if sub is None:
            reqs = current_requirements(sb, inv.country, inv.type)
            sub = {
                "id": sb.new_id(),
                "order_id": order["id"],
                "country_code": inv.country,
                "phone_number_type": inv.type,
                "status": "pending",
                "is_block": is_block,
                "number_ids": [],
                "requirements": [
                    {"requirement_id": r.id, "field_type": r.field_type} for r in reqs
                ],
                "customer_reference": fields.get("customer_reference"),
                "created_at": now,
                "updated_at": now,
            }
            subs[key] = sub
            order["sub_ids"].append(sub["id"])
        n = {
            "id": sb.new_id(),
            "phone_number": inv.phone_number,
            "order_id": order["id"],
            "sub_id": sub["id"],
            "country_code": inv.country,
            "phone_number_type": inv.type,
            "locality": inv.locality_label,
            "bundle_id": item.get("bundle_id"),
            "is_block_number": is_block,
            "status": "pending",
            "requirements_status": "requirement-info-pending",
            "requirements_met": False,
            "reqs": [
                {
                    "requirement_id": r["requirement_id"],
                    "field_type": r["field_type"],
                    "field_value": None,
                    "status": "awaiting-value",
                }
                for r in sub["requirements"]
            ],
            "deadline": None,
            "review_due": None,
            "provision_due": None,
            "requirement_group_id": item.get("requirement_group_id"),
            "created_at": now,
            "updated_at": now,
        }
        if not n["reqs"]:
            n["requirements_status"] = "approved"
            n["requirements_met"] = True
            n["provision_due"] = now + sb.config.provision_seconds
        else:
            n["deadline"] = now + sb.config.deadline_hours * 3600
        sub["number_ids"].append(n["id"])
        order["number_ids"].append(n["id"])
        numbers.append(n)
        sb.store.put("taken", {"id": inv.phone_number, "order_id": order["id"]})
        if sb.store.get("reserved", inv.phone_number):
            sb.store.delete("reserved", inv.phone_number)
    sb.store.put("order", order)
    for sub in subs.values():
        sb.store.put("sub", sub)
    sb.store.put_many("number", numbers)
    for n in numbers:
        group_id = n.get("requirement_group_id")
        if group_id and n["reqs"]:
            group = sb.store.get("group", group_id)
            if group:
                vetting.apply_group(sb, n, group)
    return order


# -- status roll-up --------------------------------------------------------------------------
def touch(sb: Sandbox, kind: str, record: dict[str, Any]) -> None:
    record["updated_at"] = sb.now()
    sb.store.put(kind, record)


def roll_up(sb: Sandbox, sub_id: str) -> None:
    """Recompute a sub order's and its parent order's status from the numbers."""
    sub = sb.store.get("sub", sub_id)
    if sub is None:
        return
    if sub["status"] == "pending":
        statuses = [sb.store.require("number", nid)["status"] for nid in sub["number_ids"]]
        if all(s == "success" for s in statuses):
            sub["status"] = "success"
            touch(sb, "sub", sub)
        elif all(s in TERMINAL for s in statuses):
            sub["status"] = "failure" if all(s == "failure" for s in statuses) else "success"
            touch(sb, "sub", sub)
    order = sb.store.get("order", sub["order_id"])
    if order is None or order["status"] != "pending":
        return
    sub_statuses = [sb.store.require("sub", sid)["status"] for sid in order["sub_ids"]]
    if not all(s in TERMINAL for s in sub_statuses):
        return
    if all(s == "cancelled" for s in sub_statuses):
        order["status"] = "cancelled"
    elif any(s == "success" for s in sub_statuses):
        order["status"] = "success"
    else:
        order["status"] = "failure"
    touch(sb, "order", order)
    if not order.get("notified"):
        order["notified"] = True
        sb.store.put("order", order)
        webhooks.enqueue(sb, "number_order.complete", render_order(sb, order))
    for block in sb.store.all("block_order"):
        if block["order_id"] == order["id"] and block["status"] == "pending":
            block["status"] = "success" if order["status"] == "success" else "failure"
            touch(sb, "block_order", block)


def cancel_sub(sb: Sandbox, sub: dict[str, Any]) -> None:
    """Cancel a pending sub order and its unfinished numbers (by the user or by the deadline)."""
    for nid in sub["number_ids"]:
        n = sb.store.require("number", nid)
        if n["status"] in TERMINAL:
            continue
        n["status"] = "failure"
        n["requirements_status"] = "cancelled"
        n["requirements_met"] = False
        n["deadline"] = None
        n["review_due"] = None
        n["provision_due"] = None
        touch(sb, "number", n)
        sb.store.delete("taken", n["phone_number"])
    sub["status"] = "cancelled"
    touch(sb, "sub", sub)
    roll_up(sb, sub["id"])
