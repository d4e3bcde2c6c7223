"""Requirement values and their review by "Number Ops", deadlines and auto-cancellation.

Rules (from the ordering guide, made deterministic for tests):

* A number with requirements starts ``requirement-info-pending`` with a deadline
  ``deadline_hours`` ahead.
* Once every value is present it goes ``requirement-info-under-review`` and its deadline is
  cleared; ``vetting_seconds`` later each value is approved or declined.
* A value, document filename or address field containing ``REJECT`` (any case) is declined, as
  is a value that breaks the acceptance criteria; the number goes
  ``requirement-info-exception``, gets a new deadline, and an admin comment on the sub order says
  what was wrong.
* When the deadline passes with values missing or declined, the sub order is cancelled.
"""

from __future__ import annotations

from typing import Any

from . import comments, orders
from .catalogue import TYPES_BY_ID
from .clock import iso
from .errors import ApiError, error
from .state import Sandbox

ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "business_name",
    "street_address",
    "extended_address",
    "locality",
    "administrative_area",
    "postal_code",
    "neighborhood",
    "borough",
    "country_code",
)


def validate_values(
    sb: Sandbox, raw: Any, allowed: dict[str, str], pointer: str = "/regulatory_requirements"
) -> list[tuple[str, str]]:
    """Check ``[{requirement_id, field_value}]`` against the requirements that apply; 422 if not."""
    if not isinstance(raw, list):
        raise ApiError(
            422, [error("10015", "regulatory_requirements must be a list.", pointer=pointer)]
        )
    errors = []
    pairs: list[tuple[str, str]] = []
    for i, item in enumerate(raw):
        at = f"{pointer}/{i}"
        if not isinstance(item, dict):
            errors.append(error("10015", "Each requirement must be an object.", pointer=at))
            continue
        rid = item.get("requirement_id")
        value = item.get("field_value")
        if rid not in allowed:
            errors.append(
                error(
                    "10015",
                    f"Requirement {rid} does not apply to this record.",
                    pointer=f"{at}/requirement_id",
                )
            )
            continue
        if not isinstance(value, str) or not value.strip():
            errors.append(error("10004", "field_value is required.", pointer=f"{at}/field_value"))
            continue
        ftype = allowed[rid]
        if ftype == "address":
            if not value.isdigit():
                errors.append(
                    error(
                        "10015",
                        "An address requirement takes the id of an address "
                        "created with POST /addresses, not the address text.",
                        pointer=f"{at}/field_value",
                    )
                )
                continue
            if sb.store.get("address", value) is None:
                errors.append(
                    error("10017", f"Address {value} does not exist.", pointer=f"{at}/field_value")
                )
                continue
        if ftype == "document" and sb.store.get("document", value) is None:
            errors.append(
                error("10017", f"Document {value} does not exist.", pointer=f"{at}/field_value")
            )
            continue
        pairs.append((rid, value))
    if errors:
        raise ApiError(422, errors)
    return pairs


def link_document(sb: Sandbox, doc_id: str, record_type: str, resource_id: str) -> None:
    """Documents are linked automatically when used as a value; links stop the 30-min deletion."""
    for link in sb.store.all("document_link"):
        if (link["document_id"], link["linked_record_type"], link["linked_resource_id"]) == (
            doc_id,
            record_type,
            resource_id,
        ):
            return
    now = sb.now()
    sb.store.put(
        "document_link",
        {
            "id": sb.new_id(),
            "document_id": doc_id,
            "linked_record_type": record_type,
            "linked_resource_id": resource_id,
            "created_at": now,
            "updated_at": now,
        },
    )


def set_values(
    sb: Sandbox, n: dict[str, Any], pairs: list[tuple[str, str]], keep_approved: bool = False
) -> None:
    """Store values on one number and move its review state on."""
    if n["status"] in orders.TERMINAL:
        return
    for rid, value in pairs:
        req = next((r for r in n["reqs"] if r["requirement_id"] == rid), None)
        if req is None:
            continue
        if keep_approved and req["status"] == "approved":
            continue
        if req["field_value"] == value and req["status"] in ("approved", "pending-approval"):
            continue
        req["field_value"] = value
        req["status"] = "pending-approval"
        if req["field_type"] == "document":
            link_document(sb, value, "number_order_phone_number", n["id"])
    refresh(sb, n)


def apply_group(sb: Sandbox, n: dict[str, Any], group: dict[str, Any]) -> None:
    pairs = [
        (r["requirement_id"], r["field_value"])
        for r in group["regulatory_requirements"]
        if r.get("field_value")
    ]
    n["requirement_group_id"] = group["id"]
    set_values(sb, n, pairs, keep_approved=True)


def refresh(sb: Sandbox, n: dict[str, Any]) -> None:
    statuses = [r["status"] for r in n["reqs"]]
    now = sb.now()
    if "awaiting-value" in statuses:
        n["requirements_status"] = "requirement-info-pending"
        if n["deadline"] is None:
            n["deadline"] = now + sb.config.deadline_hours * 3600
    elif "pending-approval" in statuses:
        n["requirements_status"] = "requirement-info-under-review"
        n["deadline"] = None
        n["review_due"] = now + sb.config.vetting_seconds
    elif "declined" in statuses:
        n["requirements_status"] = "requirement-info-exception"
    else:
        n["requirements_status"] = "approved"
        n["requirements_met"] = True
        n["status"] = "success"
        n["deadline"] = None
    n["requirements_met"] = n["requirements_status"] == "approved"
    orders.touch(sb, "number", n)
    if n["status"] == "success":
        orders.roll_up(sb, n["sub_id"])


def decline_reason(sb: Sandbox, requirement_id: str, field_type: str, value: str) -> str | None:
    """Why Number Ops would decline this value, or ``None`` to approve it."""
    if "reject" in value.lower():
        return "the value was not accepted"
    if field_type == "address":
        address = sb.store.get("address", value)
        if address is None:
            return "the address no longer exists"
        for name in ADDRESS_FIELDS:
            if "reject" in str(address.get(name) or "").lower():
                return f"the address field {name} could not be verified"
        return None
    if field_type == "document":
        doc = sb.store.get("document", value)
        if doc is None:
            return "the document no longer exists"
        if "reject" in doc["filename"].lower():
            return "the document is not acceptable"
        if doc["av_scan_status"] == "infected":
            return "the document failed the antivirus scan"
        return None
    rtype = TYPES_BY_ID.get(requirement_id)
    problem = rtype.check_text(value) if rtype else None
    return f"the value {problem}" if problem else None


def _set_document_status(sb: Sandbox, field_type: str, value: str, approved: bool) -> None:
    if field_type != "document":
        return
    doc = sb.store.get("document", value)
    if doc:
        doc["status"] = "verified" if approved else "denied"
        doc["updated_at"] = sb.now()
        sb.store.put("document", doc)


def review(sb: Sandbox, n: dict[str, Any]) -> list[str]:
    """Approve or decline every value under review; returns the decline explanations."""
    declined = []
    for req in n["reqs"]:
        if req["status"] != "pending-approval":
            continue
        reason = decline_reason(sb, req["requirement_id"], req["field_type"], req["field_value"])
        req["status"] = "declined" if reason else "approved"
        _set_document_status(sb, req["field_type"], req["field_value"], reason is None)
        if reason:
            rtype = TYPES_BY_ID.get(req["requirement_id"])
            declined.append(f"{rtype.name if rtype else req['requirement_id']}: {reason}")
    n["review_due"] = None
    if declined:
        n["requirements_status"] = "requirement-info-exception"
        n["requirements_met"] = False
        n["deadline"] = sb.now() + sb.config.deadline_hours * 3600
        orders.touch(sb, "number", n)
    else:
        refresh(sb, n)
    return declined


def run_due(sb: Sandbox) -> None:
    """Provisioning, reviews and deadlines that are due on the sandbox clock."""
    now = sb.now()
    rejected: dict[str, list[str]] = {}
    expired_subs: list[str] = []
    for n in sb.store.all("number"):
        if n["status"] != "pending":
            continue
        if n.get("provision_due") is not None and n["provision_due"] <= now:
            n["provision_due"] = None
            n["status"] = "success"
            orders.touch(sb, "number", n)
            orders.roll_up(sb, n["sub_id"])
            continue
        if n.get("review_due") is not None and n["review_due"] <= now:
            reasons = review(sb, n)
            if reasons:
                lines = rejected.setdefault(n["sub_id"], [])
                lines.extend(f"{n['phone_number']} - {r}" for r in reasons)
            continue
        if (
            n["deadline"] is not None
            and n["deadline"] <= now
            and n["requirements_status"]
            in ("requirement-info-pending", "requirement-info-exception")
            and n["sub_id"] not in expired_subs
        ):
            expired_subs.append(n["sub_id"])
    for sub_id, lines in rejected.items():
        deadline = min(
            (sb.store.require("number", nid)["deadline"] or now)
            for nid in sb.store.require("sub", sub_id)["number_ids"]
        )
        body = (
            "Some requirement values were declined:\n"
            + "\n".join(f"- {x}" for x in lines)
            + f"\nPlease provide corrected values before {iso(deadline)}."
        )
        comments.add_comment(sb, "sub_number_order", sub_id, body, admin=True)
    for sub_id in expired_subs:
        sub = sb.store.get("sub", sub_id)
        if sub and sub["status"] == "pending":
            orders.cancel_sub(sb, sub)
            comments.add_comment(
                sb,
                "sub_number_order",
                sub_id,
                "This order was cancelled because the requirements deadline passed with "
                "values missing or declined.",
                admin=True,
            )
    _review_groups(sb, now)


def _review_groups(sb: Sandbox, now: float) -> None:
    for group in sb.store.all("group"):
        if group["status"] == "approved" and any(
            r.get("expires_at") and r["expires_at"] <= now for r in group["regulatory_requirements"]
        ):
            for req in group["regulatory_requirements"]:
                if req.get("expires_at") and req["expires_at"] <= now:
                    req["status"] = "expired"
                    req["updated_at"] = now
            group["status"] = "expired"
            group["updated_at"] = now
            sb.store.put("group", group)
            continue
        if group["status"] != "pending-approval" or (group.get("review_due") or now + 1) > now:
            continue
        reasons = []
        for req in group["regulatory_requirements"]:
            reason = decline_reason(
                sb, req["requirement_id"], req["field_type"], req.get("field_value") or ""
            )
            req["status"] = "declined" if reason else "approved"
            req["updated_at"] = now
            if reason is None:
                req["expires_at"] = now + sb.config.group_validity_days * 86400
            else:
                rtype = TYPES_BY_ID.get(req["requirement_id"])
                reasons.append(f"{rtype.name if rtype else req['requirement_id']}: {reason}")
        group["status"] = "declined" if reasons else "approved"
        group["review_due"] = None
        group["updated_at"] = now
        sb.store.put("group", group)
        if reasons:
            comments.add_comment(
                sb,
                "requirement_group",
                group["id"],
                "Requirement group declined:\n" + "\n".join(f"- {r}" for r in reasons),
                admin=True,
            )
