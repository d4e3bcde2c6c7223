"""The work queue on the home page: everything that waits for someone, section by section.

Each section is a fixed handful of queries (a count and one page of rows, plus one batch
look-up for labels or comments), so the page costs the same at 10,000 orders as at 100.
Sections that mix several kinds of rows (approvals, things stuck) fetch the first
``offset + limit`` rows of each kind and merge them; pages are short, so that stays cheap.
Filters: whose work (mine / unassigned / everyone, on the sub order's or group's assignee),
country and number type.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.urls import reverse
from django.utils import timezone

from compliance import catalogue
from compliance.models import RequirementGroupLink, Submission
from compliance.review import requirement_status
from compliance.submission import ACTIVE
from orders.models import (
    BulkOrder,
    NumberOrder,
    OrderedNumber,
    PlacingState,
    SubNumberOrder,
    SubOrderComment,
    SyncRun,
    WebhookEvent,
)
from orders.rejections import parse_rejections

EXCEPTION = "requirement-info-exception"
INFO_PENDING = "requirement-info-pending"
UNDER_REVIEW = "requirement-info-under-review"
OPEN_STATUSES = (INFO_PENDING, EXCEPTION, "pending", "")
DUE_SOON = timedelta(hours=72)
DONE_WINDOW = timedelta(days=7)
STUCK_WINDOW = timedelta(days=7)
PAGE_SIZE = 10
SCOPES = ("everyone", "mine", "unassigned")


@dataclass(frozen=True)
class Filters:
    scope: str = "everyone"
    country: str = ""
    number_type: str = ""

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        """Read the filters from a QueryDict; unknown values fall back to "no filter"."""
        scope = query.get("scope", "everyone")
        country = (query.get("country") or "").strip().upper()
        number_type = (query.get("type") or "").strip().lower()
        return cls(
            scope=scope if scope in SCOPES else "everyone",
            country=country if len(country) == 2 and country.isalpha() else "",
            number_type=number_type if number_type.replace("_", "").isalpha() else "",
        )

    def sub_order_q(self, user: Any, prefix: str = "") -> Q:
        """The filters on a sub order reached through ``prefix`` (e.g. ``"sub_order__"``)."""
        q = Q()
        if self.scope == "mine":
            q &= Q(**{f"{prefix}assignee": user})
        elif self.scope == "unassigned":
            q &= Q(**{f"{prefix}assignee__isnull": True})
        if self.country:
            q &= Q(**{f"{prefix}country_code": self.country})
        if self.number_type:
            q &= Q(**{f"{prefix}phone_number_type": self.number_type})
        return q

    def order_q(self, user: Any, field: str = "requested_numbers") -> Q:
        """Orders have no assignee: "mine" means placed by me; country/type on what was asked."""
        q = Q()
        if self.scope == "mine":
            q &= Q(placed_by=user)
        key = "country_code" if field == "requested_numbers" else "country_iso"
        if self.country:
            q &= Q(**{f"{field}__contains": [{key: self.country}]})
        if self.number_type:
            q &= Q(**{f"{field}__contains": [{"phone_number_type": self.number_type}]})
        return q


@dataclass
class Row:
    title: str
    url: str
    status: str = ""
    when: datetime | None = None
    deadline: datetime | None = None
    details: str = ""
    note: str = ""
    assignee: Any = None
    sub_order: Any = None
    action: str = "Open"
    waiting: str = ""


@dataclass
class Section:
    key: str
    title: str
    empty: str
    count: int = 0
    rows: list[Row] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.rows))


@dataclass
class _Ctx:
    user: Any
    filters: Filters
    now: datetime
    is_manager: bool


def _sub_url(sub: SubNumberOrder) -> str:
    return reverse("compliance:sub-order", args=[sub.public_id])


def _fix_url(number: OrderedNumber) -> str:
    assert number.sub_order is not None
    return (
        reverse("compliance:requirement-form", args=[number.sub_order.public_id])
        + f"?number={number.public_id}&correct=1"
    )


def _number_title(number: OrderedNumber) -> str:
    sub = number.sub_order
    assert sub is not None
    return (
        f"{number.phone_number} · {sub.country_code} {sub.phone_number_type} · "
        f"{number.number_order.reference}"
    )


def _labels(numbers: Iterable[OrderedNumber]) -> dict[str, str]:
    ids = {
        str(item.get("requirement_id"))
        for n in numbers
        for item in (n.regulatory_requirements or [])
        if item.get("requirement_id")
    }
    if not ids:
        return {}
    return {rid: row.name for rid, row in catalogue.ensure(ids).items()}


def _requirements_with(number: OrderedNumber, status: str, labels: dict[str, str]) -> list[str]:
    found = []
    for item in number.regulatory_requirements or []:
        if requirement_status(item) == status:
            rid = str(item.get("requirement_id"))
            found.append(labels.get(rid, f"Requirement {rid[:8]}"))
    return found


def _numbers(ctx: _Ctx) -> QuerySet[OrderedNumber]:
    return OrderedNumber.objects.filter(
        ctx.filters.sub_order_q(ctx.user, "sub_order__"), sub_order__status="pending"
    ).select_related("sub_order", "sub_order__assignee", "number_order")


def _newest_change_first(qs: QuerySet[OrderedNumber]) -> QuerySet[OrderedNumber]:
    """Newest change of the requirements status first (``orders_number_vetting_changed``)."""
    return qs.order_by("-requirements_status_changed_at", "-id")


def _page(qs: QuerySet[Any], offset: int, limit: int) -> tuple[int, list[Any]]:
    return qs.count(), list(qs[offset : offset + limit])


def comment_summary(body: str) -> str:
    """What a row quotes of an admin comment: the reasons Telnyx lists ("Proof of address: the
    value was not accepted"), not its generic first line; else the first line."""
    pairs = [(req, why) for req, why in parse_rejections(body) if req]
    if pairs:
        return "; ".join(f"{req}: {why}" for req, why in pairs[:2]) + (
            " …" if len(pairs) > 2 else ""
        )
    lines = body.strip().splitlines()
    return lines[0] if lines else ""


def rejected(ctx: _Ctx, offset: int, limit: int) -> tuple[int, list[Row]]:
    latest_comment = Subquery(
        SubOrderComment.objects.filter(sub_order=OuterRef("sub_order"), commenter_type="admin")
        .order_by("-telnyx_created_at", "-id")
        .values("id")[:1]
    )
    qs = _numbers(ctx).filter(requirements_status=EXCEPTION).annotate(comment_id=latest_comment)
    count, numbers = _page(_newest_change_first(qs), offset, limit)
    comment_ids = [n.comment_id for n in numbers if n.comment_id]  # type: ignore[attr-defined]
    comments = SubOrderComment.objects.in_bulk(comment_ids) if comment_ids else {}
    labels = _labels(numbers)
    rows = []
    for n in numbers:
        comment = comments.get(n.comment_id)  # type: ignore[attr-defined]
        first_line = comment_summary(comment.body or "") if comment else ""
        rows.append(
            Row(
                title=_number_title(n),
                url=_fix_url(n),
                status=n.requirements_status,
                when=n.requirements_status_changed_at,
                deadline=n.deadline,
                details="Declined: "
                + (", ".join(_requirements_with(n, "declined", labels)) or "—"),
                note=first_line,
                assignee=n.sub_order.assignee if n.sub_order else None,
                sub_order=n.sub_order,
                action="Fix and resubmit",
            )
        )
    return count, rows


def _in_flight() -> Exists:
    return Exists(
        Submission.objects.filter(sub_order=OuterRef("sub_order"), status__in=ACTIVE).filter(
            Q(number__isnull=True) | Q(number=OuterRef("pk"))
        )
    )


def needs_information(ctx: _Ctx, offset: int, limit: int) -> tuple[int, list[Row]]:
    qs = (
        _numbers(ctx)
        .filter(requirements_status=INFO_PENDING)
        .exclude(_in_flight())
        .order_by(F("deadline").asc(nulls_last=True), "-created_at", "-id")
    )
    count, numbers = _page(qs, offset, limit)
    labels = _labels(numbers)
    return count, [
        Row(
            title=_number_title(n),
            url=reverse("compliance:requirement-form", args=[n.sub_order.public_id]),  # type: ignore[union-attr]
            status=n.requirements_status,
            when=n.created_at,
            deadline=n.deadline,
            details="Missing: "
            + (", ".join(_requirements_with(n, "awaiting-value", labels)) or "—"),
            assignee=n.sub_order.assignee if n.sub_order else None,
            sub_order=n.sub_order,
            action="Fill requirements",
        )
        for n in numbers
    ]


def due_soon(ctx: _Ctx, offset: int, limit: int) -> tuple[int, list[Row]]:
    qs = (
        _numbers(ctx)
        .filter(
            deadline__isnull=False,
            deadline__lte=ctx.now + DUE_SOON,
            requirements_status__in=OPEN_STATUSES,
        )
        .order_by("deadline", "id")
    )
    count, numbers = _page(qs, offset, limit)
    labels = _labels(numbers)
    rows = []
    for n in numbers:
        missing = _requirements_with(n, "awaiting-value", labels)
        declined = _requirements_with(n, "declined", labels)
        todo = [*missing, *(f"{d} (declined)" for d in declined)]
        rows.append(
            Row(
                title=_number_title(n),
                url=_sub_url(n.sub_order),  # type: ignore[arg-type]
                status=n.requirements_status,
                deadline=n.deadline,
                details="Still missing: " + (", ".join(todo) or "—"),
                assignee=n.sub_order.assignee if n.sub_order else None,
                sub_order=n.sub_order,
            )
        )
    return count, rows


def _merge(
    ctx: _Ctx,
    offset: int,
    limit: int,
    parts: list[tuple[QuerySet[Any], Callable[[Any], Row]]],
    newest_first: bool = True,
    long: tuple[QuerySet[Any], ...] = (),
) -> tuple[int, list[Row]]:
    """The rows ``offset`` to ``offset + limit`` of the parts merged by time, and their count.

    A part's rows and its count come in one query (a window count), as these lists are short;
    the ``long`` parts (numbers: thousands of rows) are counted apart, from an index, as a
    window would read every row."""
    count = 0
    streams = []
    for qs, to_row in parts:
        if qs.query.is_sliced or any(qs is other for other in long):
            count += qs.count()
            objs = list(qs[: offset + limit])
        else:
            objs = list(qs.annotate(part_total=Window(Count("pk")))[: offset + limit])
            count += objs[0].part_total if objs else 0
        streams.append([to_row(obj) for obj in objs])
    epoch = datetime.min.replace(tzinfo=ctx.now.tzinfo)

    def key(row: Row) -> datetime:
        return row.when or epoch

    merged = heapq.merge(*streams, key=key, reverse=newest_first)
    return count, list(merged)[offset : offset + limit]


def awaiting_approval(ctx: _Ctx, offset: int, limit: int) -> tuple[int, list[Row]]:
    f, user = ctx.filters, ctx.user
    waiting = "" if ctx.is_manager else "Waiting for a manager"
    submissions = (
        Submission.objects.filter(
            f.sub_order_q(user, "sub_order__"), status=Submission.Status.AWAITING_APPROVAL
        )
        .select_related("sub_order", "sub_order__assignee", "sub_order__number_order", "number")
        .order_by("-created_at", "-id")
    )
    orders = (
        NumberOrder.objects.filter(f.order_q(user), placing_state=PlacingState.AWAITING_APPROVAL)
        .select_related("placed_by")
        .order_by("-created_at", "-id")
    )
    bulks = (
        BulkOrder.objects.filter(
            f.order_q(user, "requested_groups"), placing_state=PlacingState.AWAITING_APPROVAL
        )
        .select_related("placed_by")
        .order_by("-created_at", "-id")
    )
    groups = (
        RequirementGroupLink.objects.filter(f.sub_order_q(user))
        .filter(
            Q(stage=RequirementGroupLink.Stage.AWAITING_APPROVAL)
            | Q(
                stage=RequirementGroupLink.Stage.SENT,
                telnyx_id__isnull=False,
                status__in=("", "unapproved"),
            )
        )
        .select_related("profile", "assignee")
        .order_by("-created_at", "-id")
    )

    def submission_row(s: Submission) -> Row:
        target = s.number.phone_number if s.number else "all numbers"
        return Row(
            title=f"Submission for {target} · {s.sub_order.country_code} "
            f"{s.sub_order.phone_number_type} · {s.sub_order.number_order.reference}",
            # Managers decide in the admin (with the diff); staff follow the sub order page.
            url=reverse("admin:compliance_submission_change", args=[s.pk])
            if ctx.is_manager
            else _sub_url(s.sub_order) + "#submissions",
            status=s.status,
            when=s.created_at,
            details=f"Submitted by {s.submitted_by or 'someone'}",
            assignee=s.sub_order.assignee,
            sub_order=s.sub_order,
            action="Approve or reject",
            waiting=waiting,
        )

    def order_row(o: NumberOrder) -> Row:
        return Row(
            title=f"Large order {o.reference} · {o.summary}",
            url=o.get_absolute_url(),
            status=o.placing_state,
            when=o.created_at,
            details=f"Placed by {o.placed_by or 'someone'}",
            action="Approve",
            waiting=waiting,
        )

    def bulk_row(b: BulkOrder) -> Row:
        return Row(
            title=f"Bulk order {b.reference} · {b.count_requested} number(s)",
            url=b.get_absolute_url(),
            status=b.placing_state,
            when=b.created_at,
            details=f"Placed by {b.placed_by or 'someone'}",
            action="Approve",
            waiting=waiting,
        )

    def group_row(g: RequirementGroupLink) -> Row:
        return Row(
            title=f"Requirement group {g.country_code} {g.phone_number_type}"
            + (f" · {g.profile.name}" if g.profile else ""),
            url=g.get_absolute_url(),
            status=g.stage
            if g.stage == RequirementGroupLink.Stage.AWAITING_APPROVAL
            else (g.status or "unapproved"),
            when=g.created_at,
            assignee=g.assignee,
            action="Approve"
            if g.stage == RequirementGroupLink.Stage.AWAITING_APPROVAL
            else "Submit for approval",
            waiting=waiting,
        )

    return _merge(
        ctx,
        offset,
        limit,
        [
            (submissions, submission_row),
            (orders, order_row),
            (bulks, bulk_row),
            (groups, group_row),
        ],
    )


def at_telnyx(ctx: _Ctx, offset: int, limit: int) -> tuple[int, list[Row]]:
    numbers = _newest_change_first(_numbers(ctx).filter(requirements_status=UNDER_REVIEW))
    sending = (
        Submission.objects.filter(
            ctx.filters.sub_order_q(ctx.user, "sub_order__"),
            status__in=(Submission.Status.QUEUED, Submission.Status.SUBMITTING),
        )
        .select_related("sub_order", "sub_order__assignee", "sub_order__number_order", "number")
        .order_by("-created_at", "-id")
    )

    def number_row(n: OrderedNumber) -> Row:
        return Row(
            title=_number_title(n),
            url=_sub_url(n.sub_order),  # type: ignore[arg-type]
            status=n.requirements_status,
            when=n.requirements_status_changed_at,
            deadline=n.deadline,
            details="Under review at Telnyx",
            assignee=n.sub_order.assignee if n.sub_order else None,
            sub_order=n.sub_order,
        )

    def sending_row(s: Submission) -> Row:
        target = s.number.phone_number if s.number else "all numbers"
        return Row(
            title=f"Submission for {target} · {s.sub_order.country_code} "
            f"{s.sub_order.phone_number_type} · {s.sub_order.number_order.reference}",
            url=_sub_url(s.sub_order) + "#submissions",
            status=s.status,
            when=s.created_at,
            details="Being sent to Telnyx",
            assignee=s.sub_order.assignee,
            sub_order=s.sub_order,
        )

    parts: list[tuple[QuerySet[Any], Callable[[Any], Row]]] = [
        (sending, sending_row),
        (numbers, number_row),
    ]
    return _merge(ctx, offset, limit, parts, long=(numbers,))


def stuck(ctx: _Ctx, offset: int, limit: int) -> tuple[int, list[Row]]:
    f, user = ctx.filters, ctx.user
    later = Submission.objects.filter(
        sub_order=OuterRef("sub_order"), created_at__gt=OuterRef("created_at")
    )
    failed = (
        Submission.objects.filter(f.sub_order_q(user, "sub_order__"), status="failed")
        .exclude(Exists(later))
        .select_related("sub_order", "sub_order__assignee", "sub_order__number_order", "number")
        .order_by("-created_at", "-id")
    )
    orders = (
        NumberOrder.objects.filter(f.order_q(user))
        .filter(
            Q(placing_state=PlacingState.UNKNOWN)
            | Q(
                placing_state__in=(
                    PlacingState.FAILED,
                    PlacingState.FAILED_EXHAUSTED,
                    PlacingState.DEAD,
                ),
                created_at__gte=ctx.now - STUCK_WINDOW,
            )
        )
        .order_by("-created_at", "-id")
    )
    broken_groups = (
        RequirementGroupLink.objects.filter(f.sub_order_q(user))
        .exclude(error="")
        .select_related("profile", "assignee")
        .order_by("-created_at", "-id")
    )
    sync_runs = SyncRun.objects.filter(state=SyncRun.State.FAILED).order_by("-started_at")[:1]
    webhooks = WebhookEvent.objects.filter(state="failed").order_by("-received_at")

    def failed_row(s: Submission) -> Row:
        return Row(
            title=f"Failed submission · {s.sub_order.country_code} "
            f"{s.sub_order.phone_number_type} · {s.sub_order.number_order.reference}",
            url=_sub_url(s.sub_order) + "#submissions",
            status=s.status,
            when=s.created_at,
            details=(s.error or "").splitlines()[0] if s.error else "",
            assignee=s.sub_order.assignee,
            sub_order=s.sub_order,
            action="Retry",
        )

    def order_row(o: NumberOrder) -> Row:
        return Row(
            title=f"Order {o.reference} · {o.summary}",
            url=o.get_absolute_url(),
            status=o.placing_state,
            when=o.created_at,
            details=(o.placing_error or "").splitlines()[0] if o.placing_error else "",
        )

    def group_row(g: RequirementGroupLink) -> Row:
        return Row(
            title=f"Requirement group {g.country_code} {g.phone_number_type}"
            + (f" · {g.profile.name}" if g.profile else ""),
            url=g.get_absolute_url(),
            status="failed",
            when=g.created_at,
            details=g.error.splitlines()[0] if g.error else "",
            assignee=g.assignee,
        )

    def sync_row(run: SyncRun) -> Row:
        return Row(
            title="Periodic sync failed",
            url=reverse("admin:orders_syncrun_change", args=[run.pk]),
            status="failed",
            when=run.finished_at or run.started_at,
            details=(run.error or "").splitlines()[0] if run.error else "",
        )

    def webhook_row(e: WebhookEvent) -> Row:
        return Row(
            title=f"Webhook {e.event_type or 'event'} not processed",
            url=reverse("admin:orders_webhookevent_change", args=[e.pk]),
            status="failed",
            when=e.received_at,
        )

    parts: list[tuple[QuerySet[Any], Callable[[Any], Row]]] = [
        (failed, failed_row),
        (orders, order_row),
        (broken_groups, group_row),
    ]
    if f.scope == "everyone" and not f.country and not f.number_type:
        latest = SyncRun.objects.order_by("-started_at").values_list("state", flat=True)[:1]
        if list(latest) == [SyncRun.State.FAILED]:
            parts.append((sync_runs, sync_row))
        parts.append((webhooks, webhook_row))
    return _merge(ctx, offset, limit, parts)


def done_recently(ctx: _Ctx, offset: int, limit: int) -> tuple[int, list[Row]]:
    qs = (
        SubNumberOrder.objects.filter(
            ctx.filters.sub_order_q(ctx.user),
            status__in=("success", "cancelled"),
            updated_at__gte=ctx.now - DONE_WINDOW,
        )
        .select_related("assignee", "number_order")
        .order_by("-updated_at", "-id")
    )
    count, subs = _page(qs, offset, limit)
    return count, [
        Row(
            title=f"{s.country_code} {s.phone_number_type} sub order · "
            f"{s.phone_numbers_count} number(s) · {s.number_order.reference}",
            url=_sub_url(s),
            status=s.status,
            when=s.updated_at,
            details=f"Cancelled: {s.cancel_reason}" if s.cancel_reason else "",
            assignee=s.assignee,
            sub_order=s,
        )
        for s in subs
    ]


# key -> (title, message when empty, builder); in the order the page shows them.
SECTIONS: dict[str, tuple[str, str, Callable[[_Ctx, int, int], tuple[int, list[Row]]]]] = {
    "rejected": ("Rejected, fix needed", "No rejected number.", rejected),
    "needs-info": (
        "Needs information",
        "No number is waiting for information.",
        needs_information,
    ),
    "due-soon": ("Due soon (72 h)", "No deadline in the next 72 hours.", due_soon),
    "approval": ("Awaiting approval", "Nothing waits for a manager.", awaiting_approval),
    "at-telnyx": ("At Telnyx", "Nothing is with Telnyx right now.", at_telnyx),
    "stuck": ("Stuck", "Nothing is stuck.", stuck),
    "done": ("Done recently (7 days)", "Nothing finished in the last 7 days.", done_recently),
}


def build(
    user: Any,
    filters: Filters,
    only: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    now: datetime | None = None,
) -> list[Section]:
    """The sections of the queue (all of them, or page ``page`` of section ``only``)."""
    ctx = _Ctx(
        user=user,
        filters=filters,
        now=now or timezone.now(),
        is_manager=user.has_perm("compliance.approve_submission"),
    )
    sections = []
    for key, (title, empty, builder) in SECTIONS.items():
        if only is not None and key != only:
            continue
        offset = (max(page, 1) - 1) * page_size if only else 0
        count, rows = builder(ctx, offset, page_size)
        sections.append(Section(key=key, title=title, empty=empty, count=count, rows=rows))
    return sections
