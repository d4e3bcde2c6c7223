"""Requirement groups (``/requirement_groups``): reusable, pre-filled requirement values.

Responses are bare objects (and a bare array for the list), as the spec says. Submitting for
approval runs the same vetting rule as orders after ``vetting_seconds``; Italy has no
pre-approval. CH, DK, IT, NO, PT and SE orders need a fulfilled group.
"""

from __future__ import annotations

from typing import Any

from . import comments, vetting
from .catalogue import NO_PREAPPROVAL, current_requirements
from .clock import iso
from .errors import ApiError, error, fail, not_found
from .routing import Call, route
from .state import Sandbox

GROUP_TYPES = ("local", "toll_free", "mobile", "national", "shared_cost")
# ``no-longer-eligible`` is in the guide, not in the spec's enum (a named contract deviation).
GROUP_STATUSES = (
    "approved",
    "unapproved",
    "pending-approval",
    "declined",
    "expired",
    "no-longer-eligible",
)


def render(g: dict[str, Any]) -> dict[str, Any]:
    reqs = []
    for r in g["regulatory_requirements"]:
        item: dict[str, Any] = {
            "requirement_id": r["requirement_id"],
            "field_type": r["field_type"],
            "status": r["status"],
            "created_at": iso(r["created_at"]),
            "updated_at": iso(r["updated_at"]),
        }
        if r.get("field_value"):
            item["field_value"] = r["field_value"]
        if r.get("expires_at"):
            item["expires_at"] = iso(r["expires_at"])
        reqs.append(item)
    out = {
        "id": g["id"],
        "record_type": "requirement_group",
        "action": g["action"],
        "country_code": g["country_code"],
        "phone_number_type": g["phone_number_type"],
        "status": g["status"],
        "regulatory_requirements": reqs,
        "created_at": iso(g["created_at"]),
        "updated_at": iso(g["updated_at"]),
    }
    if g.get("customer_reference") is not None:
        out["customer_reference"] = g["customer_reference"]
    return out


def _get(sb: Sandbox, gid: str) -> dict[str, Any]:
    group = sb.store.get("group", gid)
    if group is None:
        raise not_found("requirement group")
    return group


def _apply(sb: Sandbox, group: dict[str, Any], raw: Any) -> None:
    allowed = {r["requirement_id"]: r["field_type"] for r in group["regulatory_requirements"]}
    pairs = vetting.validate_values(sb, raw, allowed)
    now = sb.now()
    for rid, value in pairs:
        for r in group["regulatory_requirements"]:
            if r["requirement_id"] == rid and r.get("field_value") != value:
                r["field_value"] = value
                r["status"] = "unapproved"
                r["expires_at"] = None
                r["updated_at"] = now
                if r["field_type"] == "document":
                    vetting.link_document(sb, value, "requirement_group", group["id"])
    if pairs and group["status"] in ("approved", "declined", "expired"):
        group["status"] = "unapproved"


@route("GET", "/requirement_groups")
def list_groups(sb: Sandbox, call: Call) -> tuple[int, list[dict[str, Any]]]:
    q = call.query
    records = sb.store.all("group")
    for key in ("country_code", "phone_number_type", "action", "status", "customer_reference"):
        value = q.filter_str(key)
        if value:
            records = [g for g in records if g.get(key) == value]
    return 200, [render(g) for g in records]


@route("POST", "/requirement_groups")
def create_group(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    data = call.json()
    errors = []
    country = data.get("country_code")
    ntype = data.get("phone_number_type")
    action = data.get("action")
    if not isinstance(country, str) or len(country) != 2:
        errors.append(
            error("10004", "country_code (ISO alpha-2) is required.", pointer="/country_code")
        )
    if ntype not in GROUP_TYPES:
        errors.append(
            error(
                "10004",
                f"phone_number_type must be one of {', '.join(GROUP_TYPES)}.",
                pointer="/phone_number_type",
            )
        )
    if action not in ("ordering", "porting"):
        errors.append(error("10004", "action must be ordering or porting.", pointer="/action"))
    ref = data.get("customer_reference")
    if ref is not None and not isinstance(ref, str):
        errors.append(
            error("10015", "customer_reference must be a string.", pointer="/customer_reference")
        )
    if errors:
        raise ApiError(422, errors)
    # Narrowed by the checks above, which mypy cannot follow through the error list.
    assert isinstance(country, str) and isinstance(ntype, str)
    now = sb.now()
    group = {
        "id": sb.new_id(),
        "action": action,
        "country_code": country.upper(),
        "phone_number_type": ntype,
        "customer_reference": ref,
        "status": "unapproved",
        "review_due": None,
        "regulatory_requirements": [
            {
                "requirement_id": r.id,
                "field_type": r.field_type,
                "field_value": None,
                "status": "unapproved",
                "expires_at": None,
                "created_at": now,
                "updated_at": now,
            }
            for r in current_requirements(sb, country.upper(), ntype)
        ],
        "created_at": now,
        "updated_at": now,
    }
    if data.get("regulatory_requirements"):
        _apply(sb, group, data["regulatory_requirements"])
    sb.store.put("group", group)
    return 200, render(group)


@route("GET", "/requirement_groups/{id}")
def get_group(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, render(_get(sb, call.params["id"]))


@route("PATCH", "/requirement_groups/{id}")
def update_group(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    group = _get(sb, call.params["id"])
    data = call.json()
    if "customer_reference" in data:
        if data["customer_reference"] is not None and not isinstance(
            data["customer_reference"], str
        ):
            raise fail(
                422, "10015", "customer_reference must be a string.", pointer="/customer_reference"
            )
        group["customer_reference"] = data["customer_reference"]
    if "regulatory_requirements" in data:
        _apply(sb, group, data["regulatory_requirements"])
    group["updated_at"] = sb.now()
    sb.store.put("group", group)
    return 200, render(group)


@route("DELETE", "/requirement_groups/{id}")
def delete_group(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    group = _get(sb, call.params["id"])
    sb.store.delete("group", group["id"])
    for link in sb.store.all("document_link"):
        if link["linked_resource_id"] == group["id"]:
            sb.store.delete("document_link", link["id"])
    return 200, render(group)


@route("POST", "/requirement_groups/{id}/submit_for_approval")
def submit_group(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    group = _get(sb, call.params["id"])
    if group["country_code"] in NO_PREAPPROVAL:
        raise fail(
            422,
            "10015",
            f"Requirement groups for {group['country_code']} cannot be "
            "pre-approved; attach the group to an order instead.",
        )
    missing = [
        r["requirement_id"] for r in group["regulatory_requirements"] if not r.get("field_value")
    ]
    if missing:
        raise fail(
            422,
            "10015",
            "Every requirement needs a value before the group can be "
            f"submitted ({len(missing)} missing).",
        )
    if group["status"] == "pending-approval":
        raise fail(422, "10015", "The group is already pending approval.")
    now = sb.now()
    group["status"] = "pending-approval"
    group["review_due"] = now + sb.config.vetting_seconds
    for r in group["regulatory_requirements"]:
        if r["status"] != "approved":
            r["status"] = "pending-approval"
            r["updated_at"] = now
    group["updated_at"] = now
    sb.store.put("group", group)
    return 200, render(group)


def change_catalogue(sb: Sandbox, country: str, ntype: str, key: str) -> list[str]:
    """Telnyx's rules change: ``key`` becomes required for (country, type). Every existing group
    for it is ``no-longer-eligible`` (with an admin comment saying why); returns their ids."""
    from .catalogue import ADDITIONS_KEY, TYPES, additions

    added = additions(sb)
    scope = f"{country}:{ntype}"
    if key not in added.get(scope, []):
        added[scope] = [*added.get(scope, []), key]
    sb.store.set_meta(ADDITIONS_KEY, added)
    now = sb.now()
    changed = []
    for group in sb.store.all("group"):
        if (group["country_code"], group["phone_number_type"]) != (country, ntype):
            continue
        if group["status"] == "no-longer-eligible":
            continue
        group["status"] = "no-longer-eligible"
        group["updated_at"] = now
        sb.store.put("group", group)
        changed.append(group["id"])
        comments.add_comment(
            sb,
            "requirement_group",
            group["id"],
            f"The requirements for {country} {ntype} numbers changed ({TYPES[key].name} is now "
            "required). This group is no longer eligible; create a new one.",
            admin=True,
        )
    return changed
