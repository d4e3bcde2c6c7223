"""Writing what Telnyx says into our mirror rows: only rows that changed, with history.

Used by placing, webhook processing, "Refresh now" and the periodic sync. Comparison happens
before any write, so a resync without changes issues SELECTs only. When something changed,
the parent order row is locked (``select_for_update``) for the write, so the sync, a webhook
and a user refresh of the same order serialize (P23); status moves are forward-only (P7).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from notifications.events import Event
from notifications.notify import notify
from orders.models import (
    FINAL_ORDER_STATUSES,
    NumberOrder,
    NumberStatusChange,
    OrderedNumber,
    SubNumberOrder,
    SubOrderComment,
)
from orders.rejections import record_rejections
from orders.timestamps import parse_ts

ACTION_REQUIREMENT_STATUSES = ("requirement-info-pending", "requirement-info-exception")
REJECTED = "requirement-info-exception"
COMPLETED = "success"
HISTORY_FIELDS = ("status", "requirements_status", "deadline")


@dataclass
class SubOrderSnapshot:
    """Everything fetched about one sub order in one sync pass."""

    sub: Any
    numbers: list[Any] = field(default_factory=list)
    comments: list[Any] | None = None  # None: comments were not fetched this time


@dataclass
class Changes:
    rows: int = 0
    history: int = 0
    status_changed: bool = False
    # A number's status, requirements status or deadline moved (or a number appeared): the
    # order's denormalised deadline / needs-action fields must be recomputed.
    aggregates_stale: bool = False

    def __iadd__(self, other: Changes) -> Changes:
        self.rows += other.rows
        self.history += other.history
        self.status_changed = self.status_changed or other.status_changed
        self.aggregates_stale = self.aggregates_stale or other.aggregates_stale
        return self


def g(obj: Any, name: str, default: Any = None) -> Any:
    """Read a field from a typed model or a dict (unknown fields stay available either way)."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    value = getattr(obj, name, default)
    return default if value is None else value


def plain(value: Any) -> Any:
    """Typed models to JSON-able dicts/lists for JSONFields."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    return value


# A requirement as mirrored: what it is and where it stands, never its value (P51). The values
# live encrypted in the submission that sent them; the screens only ask whether one is there.
_REQUIREMENT_KEYS = ("requirement_id", "field_type", "record_type", "status")


def requirement_states(items: Any) -> list[dict[str, Any]]:
    """``[{"requirement_id", "field_type", "record_type", "status", "has_value"}]`` from Telnyx's
    requirement values (typed models or dicts), without ``field_value`` or unknown fields."""
    out = []
    for item in items or ():
        if isinstance(item, dict):
            state = {k: item[k] for k in _REQUIREMENT_KEYS if item.get(k) is not None}
            state["has_value"] = bool(item.get("field_value") or item.get("has_value"))
        else:
            state = {k: v for k in _REQUIREMENT_KEYS if (v := getattr(item, k, None)) is not None}
            state["has_value"] = bool(getattr(item, "field_value", None))
        out.append(state)
    return out


def _is_backwards(old: str, new: str) -> bool:
    """A final status never goes back to pending (late or stale data, P7)."""
    return old in FINAL_ORDER_STATUSES and new not in FINAL_ORDER_STATUSES


# --- order -----------------------------------------------------------------------------------


def order_values(telnyx_order: Any) -> dict[str, Any]:
    return {
        "status": g(telnyx_order, "status", ""),
        "requirements_met": g(telnyx_order, "requirements_met"),
        "phone_numbers_count": g(telnyx_order, "phone_numbers_count", 0) or 0,
        "telnyx_created_at": parse_ts(g(telnyx_order, "created_at")),
        "telnyx_updated_at": parse_ts(g(telnyx_order, "updated_at")),
    }


def apply_order(order: NumberOrder, telnyx_order: Any, event_at: datetime | None = None) -> Changes:
    """Mirror the parent order's own fields (not its sub orders)."""
    values = order_values(telnyx_order)
    with transaction.atomic():
        locked = NumberOrder.objects.select_for_update().get(pk=order.pk)
        stored_updated = locked.telnyx_updated_at
        if (
            stored_updated
            and values["telnyx_updated_at"]
            and values["telnyx_updated_at"] < stored_updated
        ):
            return Changes()  # an older read than the one already applied
        if _is_backwards(locked.status, values["status"]):
            values.pop("status")
        changed = [k for k, v in values.items() if getattr(locked, k) != v and v is not None]
        if event_at and (locked.last_event_at is None or event_at > locked.last_event_at):
            locked.last_event_at = event_at
            changed.append("last_event_at")
        if not changed:
            return Changes()
        for name in changed:
            if name in values:
                setattr(locked, name, values[name])
        status_changed = "status" in changed
        locked.last_synced_at = timezone.now()
        locked.version += 1
        locked.save(update_fields=[*changed, "last_synced_at", "version"])
        order.__dict__.update({k: getattr(locked, k) for k in [*changed, "version"]})
        if status_changed and locked.status == COMPLETED:
            notify_completed(locked)
        return Changes(rows=1, status_changed=status_changed)


def notify_completed(order: NumberOrder) -> None:
    """Every number of the order is bought: tell whoever placed it (once per order)."""
    notify(Event.ORDER_COMPLETED, order, f"order:{order.pk}")


# --- sub orders, numbers, comments -----------------------------------------------------------


def sub_values(telnyx_sub: Any) -> dict[str, Any]:
    return {
        "country_code": (g(telnyx_sub, "country_code", "") or "")[:2],
        "phone_number_type": g(telnyx_sub, "phone_number_type", "") or "",
        "status": g(telnyx_sub, "status", "") or "",
        "requirements_met": g(telnyx_sub, "requirements_met"),
        "regulatory_requirements": requirement_states(g(telnyx_sub, "regulatory_requirements")),
        "phone_numbers_count": g(telnyx_sub, "phone_numbers_count", 0) or 0,
        "is_block_sub_number_order": bool(g(telnyx_sub, "is_block_sub_number_order", False)),
        "customer_reference": g(telnyx_sub, "customer_reference", "") or "",
        "telnyx_created_at": parse_ts(g(telnyx_sub, "created_at")),
        "telnyx_updated_at": parse_ts(g(telnyx_sub, "updated_at")),
    }


_NUMBER_FIELDS = (
    "phone_number",
    "country_code",
    "phone_number_type",
    "locality",
    "status",
    "requirements_status",
    "requirements_met",
    "deadline",
    "regulatory_requirements",
    "is_block_number",
    "bundle_id",
)
_number_fields = attrgetter(*_NUMBER_FIELDS)


def number_values(item: Any) -> dict[str, Any]:
    # Read in one attrgetter call from a typed record (the sync reads ~5,000 per pass, and a
    # call of g() per field was a fifth of its comparing); a dict, or a record that lacks one
    # of the fields, is read by name.
    try:
        raw = _number_fields(item)
    except AttributeError:
        raw = tuple(g(item, name) for name in _NUMBER_FIELDS)
    phone, country, kind, locality, status, req_status, met, deadline, reqs, block, bundle = raw
    return {
        "phone_number": "" if phone is None else phone,
        "country_code": (country or "")[:2],
        "phone_number_type": kind or "",
        "locality": locality or "",
        "status": status or "",
        "requirements_status": req_status or "",
        "requirements_met": met,
        "deadline": parse_ts(deadline),
        "regulatory_requirements": requirement_states(reqs),
        "is_block_number": bool(block),
        "bundle_id": bundle or "",
    }


# Fields a per-number record has that an embedded/short item may lack: don't blank them.
_NUMBER_OPTIONAL = ("deadline", "locality", "bundle_id")


# The leading columns of every compared-columns row (``*_COMPARED`` below): keys, not data.
_ROW_KEYS = 3


def _differs(row: Any, values: dict[str, Any], keep_missing: Iterable[str] = ()) -> bool:
    """Whether :func:`_diff` would find anything, in one tuple comparison when ``row`` is a
    compared-columns row holding exactly ``values``' columns (the sync compares ~6,000 records
    per pass and nearly all are equal; attribute by attribute that was half its comparing)."""
    if not keep_missing and isinstance(row, tuple) and len(row) - _ROW_KEYS == len(values):
        return tuple(values.values()) != row[_ROW_KEYS:]
    return bool(_diff(row, values, keep_missing))


def _diff(row: Any, values: dict[str, Any], keep_missing: Iterable[str] = ()) -> list[str]:
    keep = set(keep_missing)
    out = []
    for name, value in values.items():
        if name in keep and value in (None, ""):
            continue
        if getattr(row, name) != value:
            out.append(name)
    return out


def _history_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)[:64]


def apply_sub_order(
    order: NumberOrder,
    snapshot: SubOrderSnapshot,
    source: str,
    existing: SubNumberOrder | Any | None = None,
    existing_numbers: dict[str, OrderedNumber] | dict[str, Any] | None = None,
    existing_comments: dict[str, SubOrderComment] | dict[str, Any] | None = None,
    numbers_have_deadline: bool = True,
) -> Changes:
    """Mirror one sub order with its numbers and comments; write only what differs.

    ``existing*`` may be passed in by a batch caller that loaded them in bulk (model
    instances or compared-columns rows, only read to decide whether anything differs);
    otherwise they are read here. Nothing is locked or written when nothing differs.
    """
    telnyx_id = str(g(snapshot.sub, "id"))
    if existing is None:
        existing = SubNumberOrder.objects.filter(telnyx_id=telnyx_id).first()
    if existing_numbers is None:
        ids = [str(g(n, "id")) for n in snapshot.numbers]
        existing_numbers = {n.telnyx_id: n for n in OrderedNumber.objects.filter(telnyx_id__in=ids)}
    if existing_comments is None and snapshot.comments is not None and existing is not None:
        existing_comments = {c.telnyx_id: c for c in existing.comments.defer("body")}
    existing_comments = existing_comments or {}

    keep = () if numbers_have_deadline else _NUMBER_OPTIONAL
    if not snapshot_differs(existing, snapshot, existing_numbers, existing_comments, keep):
        return Changes()

    now = timezone.now()
    changes = Changes()
    with transaction.atomic():
        NumberOrder.objects.select_for_update().filter(pk=order.pk).first()
        values = sub_values(snapshot.sub)
        sub = SubNumberOrder.objects.filter(telnyx_id=telnyx_id).first()
        if sub is None:
            sub = SubNumberOrder.objects.create(
                telnyx_id=telnyx_id, number_order=order, last_synced_at=now, **values
            )
            changes.rows += 1
            changes.status_changed = True
        else:
            stale = (
                sub.telnyx_updated_at
                and values["telnyx_updated_at"]
                and values["telnyx_updated_at"] < sub.telnyx_updated_at
            )
            if _is_backwards(sub.status, values["status"]):
                values.pop("status")
            changed = [] if stale else _diff(sub, values)
            if changed:
                changes.status_changed = changes.status_changed or "status" in changed
                for name in changed:
                    setattr(sub, name, values[name])
                sub.last_synced_at = now
                sub.save(update_fields=[*changed, "last_synced_at", "updated_at"])
                changes.rows += 1
        changes += _apply_numbers(order, sub, snapshot.numbers, source, now, keep)
        if snapshot.comments is not None:
            changes += apply_comments(sub, snapshot.comments)
        if changes.aggregates_stale:
            changes += refresh_aggregates(order, sub)
    return changes


def snapshot_differs(
    existing: SubNumberOrder | Any | None,
    snapshot: SubOrderSnapshot,
    numbers: dict[str, OrderedNumber] | dict[str, Any],
    comments: dict[str, SubOrderComment] | dict[str, Any],
    keep: Iterable[str] = (),
) -> bool:
    """Whether writing ``snapshot`` would change anything. Reads only the compared fields, by
    attribute: model instances, or rows from ``values_list(*SUB_COMPARED, named=True)`` (and
    ``NUMBER_COMPARED`` / ``COMMENT_COMPARED``) suffice."""
    if existing is None:
        return True
    values = sub_values(snapshot.sub)
    if _is_backwards(existing.status, values["status"]):
        values.pop("status")
    if _differs(existing, values):
        return True
    for item in snapshot.numbers:
        row = numbers.get(str(g(item, "id")))
        if row is None or row.sub_order_id != existing.id:
            return True
        if _differs(row, number_values(item), keep):
            return True
    if snapshot.comments is not None:
        for item in snapshot.comments:
            comment = comments.get(str(g(item, "id")))
            if comment is None or _differs(comment, comment_state(item)):
                return True
    return False


def _apply_numbers(
    order: NumberOrder,
    sub: SubNumberOrder,
    items: list[Any],
    source: str,
    now: datetime,
    keep: Iterable[str],
) -> Changes:
    changes = Changes()
    if not items:
        return changes
    rows = {
        n.telnyx_id: n
        for n in OrderedNumber.objects.filter(telnyx_id__in=[str(g(i, "id")) for i in items])
    }
    history: list[NumberStatusChange] = []
    for item in items:
        values = number_values(item)
        row = rows.get(str(g(item, "id")))
        if row is None:
            row = OrderedNumber.objects.create(
                telnyx_id=str(g(item, "id")),
                number_order=order,
                sub_order=sub,
                last_synced_at=now,
                **values,
            )
            changes.rows += 1
            changes.aggregates_stale = True
            continue
        changed = _diff(row, values, keep)
        relinked = row.sub_order_id != sub.pk
        if not changed and not relinked:
            continue
        for name in changed:
            if name in HISTORY_FIELDS:
                history.append(
                    NumberStatusChange(
                        number=row,
                        field=name,
                        old_value=_history_value(getattr(row, name)),
                        new_value=_history_value(values[name]),
                        at=now,
                        source=source,
                    )
                )
            setattr(row, name, values[name])
        row.sub_order = sub
        row.last_synced_at = now
        stamped = []
        if "requirements_status" in changed:  # what the work queue sorts by (see the model)
            row.requirements_status_changed_at = now
            stamped.append("requirements_status_changed_at")
        row.save(update_fields=[*changed, *stamped, "sub_order", "last_synced_at"])
        changes.rows += 1
        changes.status_changed = changes.status_changed or "status" in changed
        changes.aggregates_stale = (
            changes.aggregates_stale or relinked or any(n in HISTORY_FIELDS for n in changed)
        )
    if history:
        NumberStatusChange.objects.bulk_create(history)
        changes.history += len(history)
        _notify_rejections(sub, history)
    return changes


def _notify_rejections(sub: SubNumberOrder, history: list[NumberStatusChange]) -> None:
    """Numbers that just entered requirement-info-exception: one notification per sub order
    and pass, keyed by the first recorded change (a second pass records no change)."""
    rejected = [h for h in history if h.field == "requirements_status" and h.new_value == REJECTED]
    if not rejected:
        return
    first = min(h.pk for h in rejected)
    notify(
        Event.REJECTED,
        sub,
        f"change:{first}",
        details=[f"{len(rejected)} number(s) were declined and need corrected requirements."],
    )


def comment_values(item: Any) -> dict[str, Any]:
    return {
        "body": g(item, "body", "") or "",
        "commenter": g(item, "commenter", "") or "",
        "commenter_type": g(item, "commenter_type", "") or "",
        "read_at": parse_ts(g(item, "read_at")),
        "telnyx_created_at": parse_ts(g(item, "created_at")),
        "telnyx_updated_at": parse_ts(g(item, "updated_at")),
    }


def comment_state(item: Any) -> dict[str, Any]:
    """What of a known comment can change: everything but its body. Telnyx has no way to edit a
    comment, and the body is encrypted (P51): comparing it would cost a decryption per comment
    and sync pass."""
    values = comment_values(item)
    del values["body"]
    return values


# What the comparison reads: a batch caller loads only these columns (no UUIDs, costs, ...),
# _ROW_KEYS key columns first, then the values in the order the *_values/state functions give.
SUB_COMPARED = ("id", "telnyx_id", "number_order_id", *sub_values({}).keys())
NUMBER_COMPARED = ("id", "telnyx_id", "sub_order_id", *number_values({}).keys())
COMMENT_COMPARED = ("id", "telnyx_id", "sub_order_id", *comment_state({}).keys())


def apply_comments(sub: SubNumberOrder, items: list[Any]) -> Changes:
    """Mirror the comments Telnyx lists for ``sub``: new ones are added (with the rejection
    reasons they list), known ones only get their read and update times."""
    changes = Changes()
    rows = {c.telnyx_id: c for c in sub.comments.defer("body")}
    new = []
    for item in items:
        row = rows.get(str(g(item, "id")))
        if row is None:
            values = comment_values(item)
            new.append(SubOrderComment(telnyx_id=str(g(item, "id")), sub_order=sub, **values))
            continue
        values = comment_state(item)
        changed = _diff(row, values)
        if changed:
            for name in changed:
                setattr(row, name, values[name])
            row.save(update_fields=changed)
            changes.rows += 1
    if new:
        SubOrderComment.objects.bulk_create(new, ignore_conflicts=True)
        changes.rows += len(new)
        for comment in new:
            # Telnyx's reviewers write as "admin"; our own replies are not news to us. The
            # comment's text stays out of the notification: it may quote a personal value.
            if comment.commenter_type == "admin":
                notify(Event.COMMENT, sub, f"comment:{comment.telnyx_id}")
        # Parsed now, while the bodies are in clear in memory: the dashboard counts the
        # reasons without decrypting every comment on every view.
        record_rejections([c.telnyx_id for c in new], {c.telnyx_id: c.body for c in new})
    return changes


def refresh_aggregates(order: NumberOrder, sub: SubNumberOrder | None = None) -> Changes:
    """Recompute the denormalised deadline / needs-action fields the list filters on."""
    changes = Changes()
    if sub is not None:
        nxt = sub.numbers.filter(deadline__isnull=False).aggregate(m=Min("deadline"))["m"]
        if sub.next_deadline != nxt:
            SubNumberOrder.objects.filter(pk=sub.pk).update(next_deadline=nxt)
            sub.next_deadline = nxt
            changes.rows += 1
    numbers = OrderedNumber.objects.filter(number_order=order)
    nxt = numbers.filter(deadline__isnull=False).aggregate(m=Min("deadline"))["m"]
    needs = numbers.filter(
        requirements_status__in=ACTION_REQUIREMENT_STATUSES, status="pending"
    ).exists()
    current = NumberOrder.objects.filter(pk=order.pk).values("next_deadline", "needs_action").get()
    if current["next_deadline"] != nxt or current["needs_action"] != needs:
        NumberOrder.objects.filter(pk=order.pk).update(next_deadline=nxt, needs_action=needs)
        order.next_deadline, order.needs_action = nxt, needs
        changes.rows += 1
    return changes


def mark_order_synced(order: NumberOrder) -> None:
    """A user-requested refresh records when it ran even if nothing changed."""
    now = timezone.now()
    NumberOrder.objects.filter(pk=order.pk).update(last_synced_at=now)
    order.last_synced_at = now
