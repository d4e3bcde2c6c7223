"""Comments on sub orders and requirement groups (``/comments``).

Rejection reasons arrive here as ``admin`` comments. A ``user`` comment on a sub order that asks
to *extend* moves the deadline of that sub order's numbers out by ``deadline_hours`` and gets an
admin answer, which is how Telnyx grants extensions.
"""

from __future__ import annotations

from typing import Any

from .clock import iso
from .errors import fail, not_found
from .query import paginate
from .routing import Call, route
from .state import ADMIN_EMAIL, USER_EMAIL, Sandbox

RECORD_TYPES = ("sub_number_order", "requirement_group")


def add_comment(
    sb: Sandbox, record_type: str, record_id: str, body: str, admin: bool
) -> dict[str, Any]:
    now = sb.now()
    return sb.store.put(
        "comment",
        {
            "id": sb.new_id(),
            "body": body,
            "comment_record_type": record_type,
            "comment_record_id": record_id,
            "commenter": ADMIN_EMAIL if admin else USER_EMAIL,
            "commenter_type": "admin" if admin else "user",
            "read_at": None,
            "created_at": now,
            "updated_at": now,
        },
    )


def render(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "body": c["body"],
        "comment_record_type": c["comment_record_type"],
        "comment_record_id": c["comment_record_id"],
        "commenter": c["commenter"],
        "commenter_type": c["commenter_type"],
        "read_at": iso(c["read_at"]),
        "created_at": iso(c["created_at"]),
        "updated_at": iso(c["updated_at"]),
    }


def _extend_deadlines(sb: Sandbox, sub: dict[str, Any]) -> int:
    hours = sb.config.deadline_hours
    moved = 0
    for nid in sub["number_ids"]:
        n = sb.store.require("number", nid)
        if n["deadline"] is not None and n["status"] == "pending":
            n["deadline"] += hours * 3600
            n["updated_at"] = sb.now()
            sb.store.put("number", n)
            moved += 1
    return moved


@route("GET", "/comments")
def list_comments(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    rtype = call.query.filter_str("comment_record_type")
    rid = call.query.filter_str("comment_record_id")
    if rtype and rtype not in RECORD_TYPES:
        raise fail(
            400,
            "10015",
            "filter[comment_record_type] must be sub_number_order or requirement_group.",
            parameter="filter[comment_record_type]",
        )
    items = [
        c
        for c in sb.store.all("comment")
        if (not rtype or c["comment_record_type"] == rtype)
        and (not rid or c["comment_record_id"] == rid)
    ]
    page, meta = paginate(call.query, items)
    return 200, {"data": [render(c) for c in page], "meta": meta}


@route("POST", "/comments")
def create_comment(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    data = call.json()
    body = data.get("body")
    rtype = data.get("comment_record_type")
    rid = data.get("comment_record_id")
    errors = []
    from .errors import ApiError, error

    if not isinstance(body, str) or not body.strip():
        errors.append(error("10004", "body is required.", pointer="/body"))
    if rtype not in RECORD_TYPES:
        errors.append(
            error(
                "10015",
                "comment_record_type must be sub_number_order or requirement_group.",
                pointer="/comment_record_type",
            )
        )
    if not isinstance(rid, str) or not rid:
        errors.append(
            error("10004", "comment_record_id is required.", pointer="/comment_record_id")
        )
    if errors:
        raise ApiError(422, errors)
    # Narrowed by the checks above, which mypy cannot follow through the error list.
    assert isinstance(body, str) and isinstance(rtype, str) and isinstance(rid, str)
    kind = "sub" if rtype == "sub_number_order" else "group"
    record = sb.store.get(kind, rid)
    if record is None:
        raise fail(422, "10017", f"No {rtype} with id {rid}.", pointer="/comment_record_id")
    comment = add_comment(sb, rtype, rid, body, admin=False)
    if kind == "sub" and "extend" in body.lower():
        moved = _extend_deadlines(sb, record)
        hours = sb.config.deadline_hours
        if moved:
            reply = (
                f"We have extended the deadline by {hours:g} hours for the {moved} pending "
                "number(s) of this order."
            )
        else:
            reply = "There is no open deadline on this order to extend."
        add_comment(sb, rtype, rid, reply, admin=True)
    return 200, {"data": render(comment)}


@route("GET", "/comments/{id}")
def get_comment(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    c = sb.store.get("comment", call.params["id"])
    if c is None:
        raise not_found("comment")
    return 200, {"data": render(c)}


@route("PATCH", "/comments/{id}/read")
def read_comment(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    c = sb.store.get("comment", call.params["id"])
    if c is None:
        raise not_found("comment")
    if c["read_at"] is None:
        c["read_at"] = sb.now()
        c["updated_at"] = c["read_at"]
        sb.store.put("comment", c)
    return 200, {"data": render(c)}
