"""Deadlines: the board of everything due (paged, with counts per window) and the reminder emails.

Telnyx puts a deadline only on each number (``NumberOrderPhoneNumber.deadline``); it is cleared
once every value is in, replaced after a rejection, and when it passes with values missing the
order is cancelled. Beat runs ``send_reminders`` every few minutes: one notification per sub
order and threshold (``COMPLIANCE_REMINDER_HOURS``, default 72 h and 24 h) to the sub order's
assignee (or, unassigned, whoever placed the order) through ``notifications.notify``, which
mails it as that person chose, and one when a sub order was auto-cancelled. ``DeadlineReminder``
rows (unique per number, threshold and deadline) make every reminder go out once, and a new
deadline after a rejection gets its own reminders; the notification's dedupe key repeats that
guarantee per recipient.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from compliance import catalogue
from compliance.models import DeadlineReminder
from compliance.review import requirement_status
from notifications.events import Event, deadline_event
from notifications.notify import notify
from orders.models import OrderedNumber

logger = logging.getLogger(__name__)

OPEN_STATUSES = ("requirement-info-pending", "requirement-info-exception", "pending", "")
CANCELLED = "cancelled"


@dataclass
class BoardRow:
    number: Any
    missing: list[str]
    declined: list[str]

    @property
    def overdue(self) -> bool:
        return bool(self.number.deadline and self.number.deadline <= timezone.now())

    @property
    def day(self) -> Any:
        """The deadline's day (local time): the board groups its rows by it."""
        return timezone.localdate(self.number.deadline) if self.number.deadline else None


def _requirement_ids(number: Any) -> list[str]:
    items = number.regulatory_requirements or []
    return [str(i.get("requirement_id")) for i in items if i.get("requirement_id")]


def missing_requirements(
    number: Any, types: dict[str, Any] | None = None
) -> tuple[list[str], list[str]]:
    """Labels of the requirements still without a value, and of the declined ones."""
    items = number.regulatory_requirements or []
    if types is None:
        types = catalogue.cached(_requirement_ids(number))
    missing, declined = [], []
    for item in items:
        rid = str(item.get("requirement_id"))
        label = types[rid].name if rid in types else f"Requirement {rid[:8]}"
        status = requirement_status(item)
        if status == "awaiting-value":
            missing.append(label)
        elif status == "declined":
            declined.append(label)
    return missing, declined


BOARD_PAGE_SIZE = 50


@dataclass(frozen=True)
class Window:
    """A stretch of time on the board: deadlines after ``start`` and up to ``end`` from now."""

    key: str
    label: str
    start: timedelta | None
    end: timedelta | None

    def q(self, now: datetime) -> Q:
        q = Q()
        if self.start is not None:
            q &= Q(deadline__gt=now + self.start)
        if self.end is not None:
            q &= Q(deadline__lte=now + self.end)
        return q


WINDOWS = [
    Window("overdue", "Overdue", None, timedelta(0)),
    Window("24h", "Within 24 h", timedelta(0), timedelta(hours=24)),
    Window("72h", "24 to 72 h", timedelta(hours=24), timedelta(hours=72)),
    Window("week", "3 to 7 days", timedelta(hours=72), timedelta(days=7)),
    Window("later", "Later", timedelta(days=7), None),
]
WINDOW_KEYS = {w.key: w for w in WINDOWS}


@dataclass
class Board:
    """One page of the board and the counts of every window (under the same owner filter)."""

    rows: list[BoardRow]
    counts: dict[str, int]
    total: int
    page: int
    pages: int

    @property
    def windows(self) -> list[tuple[Window, int]]:
        return [(w, self.counts[w.key]) for w in WINDOWS]


def board(owner: str = "", user: Any = None, window: str = "", page: int = 1) -> Board:
    """Numbers of pending sub orders that have a deadline, soonest first, one page at a time,
    with the count in each window. ``owner`` "mine" keeps the sub orders ``user`` owns,
    "unassigned" those nobody owns; ``window`` one of ``WINDOWS`` (anything else: all).

    Three queries whatever the size: the counts, one page of rows, the requirement names."""
    now = timezone.now()
    owned = Q()
    if owner == "mine":
        owned = Q(sub_order__assignee_id=getattr(user, "pk", None))
    elif owner == "unassigned":
        owned = Q(sub_order__assignee__isnull=True)
    due = OrderedNumber.objects.filter(owned, deadline__isnull=False, sub_order__status="pending")
    # Counting ``deadline`` (never NULL here) reads the ``orders_number_due`` index alone.
    counts = due.aggregate(
        all=Count("deadline"), **{w.key: Count("deadline", filter=w.q(now)) for w in WINDOWS}
    )
    chosen = WINDOW_KEYS.get(window)
    total = counts[chosen.key] if chosen else counts["all"]
    pages = max(1, -(-total // BOARD_PAGE_SIZE))
    page = min(max(1, page), pages)
    numbers = (
        due.filter(chosen.q(now) if chosen else Q())
        .select_related(
            "sub_order", "sub_order__assignee", "number_order", "number_order__placed_by"
        )
        .order_by("deadline", "phone_number", "pk")
    )
    start = (page - 1) * BOARD_PAGE_SIZE
    rows_of_numbers = list(numbers[start : start + BOARD_PAGE_SIZE])
    # One catalogue look-up for the page; ids never seen before are fetched from Telnyx
    # once, so a brand-new order is labelled by name, not by id.
    types = catalogue.ensure(
        {rid for number in rows_of_numbers for rid in _requirement_ids(number)}
    )
    rows = []
    for number in rows_of_numbers:
        missing, declined = missing_requirements(number, types)
        rows.append(BoardRow(number=number, missing=missing, declined=declined))
    return Board(rows=rows, counts=counts, total=total, page=page, pages=pages)


def _claim(number: Any, kind: str, deadline: datetime | None) -> bool:
    """Record that this reminder is being sent; False when it already was."""
    try:
        with transaction.atomic():
            # SQLite (make run) cannot build the NULLS NOT DISTINCT unique constraint (models.W047)
            # and would claim again on every scan: look first there; its writes are serialised.
            if (
                not connection.features.supports_nulls_distinct_unique_constraints
                and DeadlineReminder.objects.filter(
                    number=number, kind=kind, deadline=deadline
                ).exists()
            ):
                return False
            DeadlineReminder.objects.create(number=number, kind=kind, deadline=deadline)
    except IntegrityError:
        return False
    return True


def _send(
    sub_order: Any, event: str, key: str, lines: list[str], kind: str, numbers: list[Any]
) -> int:
    """Notify whoever owns the sub order (``notifications.routing``): 1 when someone was."""
    created = notify(event, sub_order, f"{kind}:{sub_order.pk}:{key}", details=lines)
    DeadlineReminder.objects.filter(number__in=numbers, kind=kind).update(recipients=len(created))
    return 1 if created else 0


def send_reminders(now: datetime | None = None) -> int:
    """Send every reminder that is due now; return how many sub orders someone was told of."""
    now = now or timezone.now()
    thresholds = sorted(settings.COMPLIANCE_REMINDER_HOURS)
    due: dict[tuple[Any, int], list[Any]] = defaultdict(list)
    candidates = OrderedNumber.objects.filter(
        deadline__gt=now,
        deadline__lte=now + timedelta(hours=max(thresholds, default=0)),
        sub_order__status="pending",
        requirements_status__in=OPEN_STATUSES,
    ).select_related("sub_order__assignee", "sub_order__number_order__placed_by")
    for number in candidates:
        if number.deadline is None:
            continue
        remaining = number.deadline - now
        applicable = [h for h in thresholds if remaining <= timedelta(hours=h)]
        smallest = applicable[0]
        # Claim every applicable threshold at once: a 72 h reminder is pointless after the
        # 24 h one, and the claim rows stop it from ever going out late.
        claimed = [_claim(number, f"{h}h", number.deadline) for h in applicable]
        if claimed[0]:
            due[(number.sub_order, smallest)].append(number)
    # Name every requirement in the emails: ids never seen before are fetched once.
    types = catalogue.ensure(
        {rid for numbers in due.values() for n in numbers for rid in _requirement_ids(n)}
    )
    sent = 0
    for (sub_order, hours), numbers in due.items():
        first = min(n.deadline for n in numbers)
        lines = [
            f"The regulatory requirements of {len(numbers)} number(s) are due within {hours} "
            f"hours (deadline {first:%Y-%m-%d %H:%M} UTC).",
            "If the values are not submitted by then, Telnyx cancels the order automatically.",
        ]
        for number in numbers:
            missing, declined = missing_requirements(number, types)
            todo = ", ".join([*missing, *(f"{d} (declined)" for d in declined)]) or "review"
            lines.append(f"- {number.phone_number}: {todo}")
        event = deadline_event(hours)
        sent += _send(sub_order, event, first.isoformat(), lines, f"{hours}h", numbers)
    sent += _send_cancellations()
    return sent


def _send_cancellations() -> int:
    """One email per auto-cancelled sub order (not for sub orders a user cancelled)."""
    cancelled = OrderedNumber.objects.filter(
        Q(sub_order__status=CANCELLED) | Q(status=CANCELLED) | Q(requirements_status=CANCELLED),
        sub_order__cancelled_by__isnull=True,
    ).select_related("sub_order__assignee", "sub_order__number_order__placed_by")
    per_sub: dict[Any, list[Any]] = defaultdict(list)
    for number in cancelled:
        if _claim(number, CANCELLED, None):
            per_sub[number.sub_order].append(number)
    sent = 0
    for sub_order, numbers in per_sub.items():
        lines = [
            "Telnyx cancelled it because its requirements deadline passed without all values "
            "submitted. These numbers were released:",
            *(f"- {n.phone_number}" for n in numbers),
        ]
        sent += _send(sub_order, Event.AUTO_CANCELLED, "", lines, CANCELLED, numbers)
    return sent
