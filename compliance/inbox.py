"""The inbox: every Telnyx admin comment and every declined requirement, in one list.

An item is an admin comment on a sub order or on a requirement group (unread until someone
marks it read, a POST mirrored to Telnyx), a number in ``requirement-info-exception`` with its
declined requirement(s), or a requirement group Telnyx declined (both open until the values
are corrected: they cannot be "read" away). Unread and open items come first, then the newest.
Each item carries the record it belongs to (a sub order or a group), that record's assignee
and its age (the SLA clock).

The list is one SQL ``UNION`` of a few narrow columns per source (kind, id, unread, arrived),
ordered and sliced in the database; the page's rows are then loaded with one query per source,
and one each for the sub orders' numbers and our replies. So a page costs the same number of
queries at 10,000 orders as at 100.

Extension point: each kind of item is a ``Source`` in ``SOURCES``: its ``rows`` yields the
UNION's columns (``kind``, ``item``, ``unread``, ``arrived``: see ``_columns``) for the records a
``Narrow`` keeps, its ``load`` returns items for a page's ids, and the row partial of
``templates/compliance/inbox.html`` has a branch naming the record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from compliance.models import RequirementGroupComment, RequirementGroupLink
from compliance.work_queue import EXCEPTION, _labels, _requirements_with
from orders.models import OrderedNumber, SubNumberOrder, SubOrderComment

PAGE_SIZE = 20
# Rows without a timestamp sort as the oldest (a constant, so the UNION can order by it).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Narrow:
    """The records the inbox keeps (the same filters on each kind); None keeps them all."""

    subs: QuerySet[SubNumberOrder] | None = None
    groups: QuerySet[RequirementGroupLink] | None = None


EVERYTHING = Narrow()


@dataclass
class Item:
    kind: str  # "comment", "declined", "group-comment" or "group-declined"
    key: str  # unique on the page (DOM ids)
    sub_order: SubNumberOrder | None
    arrived: datetime | None
    unread: bool
    comment: SubOrderComment | RequirementGroupComment | None = None
    group: RequirementGroupLink | None = None
    number: OrderedNumber | None = None
    declined: list[str] = field(default_factory=list)
    # The sub order's numbers: the first one and how many (for comment rows).
    first_number: str = ""
    numbers: int = 0
    # The SLA clock, set by ``tick``: the age in words and whether it is over the SLA.
    clock: str = ""
    over_sla: bool = False
    # Our latest reply on the record after this comment arrived, if any.
    reply: SubOrderComment | RequirementGroupComment | None = None

    @property
    def assignee(self) -> Any:
        record = self.group if self.group is not None else self.sub_order
        return record.assignee if record is not None else None

    def age(self, now: datetime) -> timedelta | None:
        return now - self.arrived if self.arrived else None

    def tick(self, now: datetime, sla: timedelta) -> Item:
        """Set the clock; only an unread or open item can be over the SLA (a read comment
        keeps its age, unmarked)."""
        age = self.age(now)
        self.clock = clock(age)
        self.over_sla = self.unread and age is not None and age > sla
        return self

    @property
    def excerpt(self) -> str:
        return (self.comment.body or "").strip() if self.comment else ""


@dataclass(frozen=True)
class Source:
    kind: str
    # (records to keep, unread only) -> values queryset of the UNION columns
    rows: Callable[[Narrow, bool], QuerySet[Any]]
    # ids of one page -> items by id
    load: Callable[[list[int]], dict[int, Item]]


def _columns(qs: QuerySet[Any], kind: str, unread: Any, arrived: Any) -> QuerySet[Any]:
    """The UNION's columns, all annotations so every source lists them in the same order."""
    return qs.annotate(
        kind=Value(kind, output_field=CharField()),
        item=F("pk"),
        unread=unread,
        arrived=Coalesce(arrived, Value(_EPOCH), output_field=DateTimeField()),
    ).values_list("kind", "item", "unread", "arrived")


def _comment_rows(narrow: Narrow, unread_only: bool) -> QuerySet[Any]:
    qs = SubOrderComment.objects.filter(commenter_type="admin").order_by()
    if narrow.subs is not None:
        qs = qs.filter(sub_order__in=narrow.subs)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return _columns(qs, "comment", unread, F("telnyx_created_at"))


def _declined_rows(narrow: Narrow, unread_only: bool) -> QuerySet[Any]:
    # Like the work queue's "Rejected, fix needed": numbers of pending sub orders in exception.
    qs = OrderedNumber.objects.filter(
        requirements_status=EXCEPTION, sub_order__status="pending"
    ).order_by()
    if narrow.subs is not None:
        qs = qs.filter(sub_order__in=narrow.subs)
    # Stamped by the mirror when the vetting state changed (indexed, no history subquery).
    arrived = Coalesce(
        F("requirements_status_changed_at"), F("sub_order__telnyx_updated_at"), F("created_at")
    )
    always = Value(True, output_field=BooleanField())
    return _columns(qs, "declined", always, arrived)


_WITH_SUB = ("sub_order__number_order", "sub_order__assignee")


def comment_item(comment: SubOrderComment) -> Item:
    """The inbox item of one comment (its sub order, order, assignee and author loaded)."""
    return Item(
        kind="comment",
        key=f"comment-{comment.telnyx_id}",
        sub_order=comment.sub_order,
        arrived=comment.telnyx_created_at,
        unread=comment.is_unread,
        comment=comment,
    )


COMMENT_RELATED = (*_WITH_SUB, "author")


def _load_comments(ids: list[int]) -> dict[int, Item]:
    comments = SubOrderComment.objects.select_related(*COMMENT_RELATED).in_bulk(ids)
    return {pk: comment_item(c) for pk, c in comments.items()}


def _load_declined(ids: list[int]) -> dict[int, Item]:
    numbers = OrderedNumber.objects.select_related(*_WITH_SUB).in_bulk(ids)
    labels = _labels(numbers.values())
    return {
        pk: Item(
            kind="declined",
            key=f"declined-{n.public_id}",
            sub_order=n.sub_order,  # type: ignore[arg-type]
            arrived=None,  # filled from the UNION's column
            unread=True,
            number=n,
            declined=_requirements_with(n, "declined", labels),
            first_number=n.phone_number,
            numbers=1,
        )
        for pk, n in numbers.items()
    }


def _group_comment_rows(narrow: Narrow, unread_only: bool) -> QuerySet[Any]:
    qs = RequirementGroupComment.objects.filter(commenter_type="admin").order_by()
    if narrow.groups is not None:
        qs = qs.filter(group__in=narrow.groups)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return _columns(qs, "group-comment", unread, F("telnyx_created_at"))


def declined_groups() -> QuerySet[RequirementGroupLink]:
    """Groups Telnyx declined whose corrected values are not on their way yet (a correction
    puts the group back in draft, then sends it with a job pending)."""
    return RequirementGroupLink.objects.filter(
        status="declined", stage=RequirementGroupLink.Stage.SENT, pending_job=""
    )


def _declined_group_rows(narrow: Narrow, unread_only: bool) -> QuerySet[Any]:
    qs = declined_groups().order_by()
    if narrow.groups is not None:
        qs = qs.filter(pk__in=narrow.groups.values("pk"))
    arrived = Coalesce(F("status_changed_at"), F("last_synced_at"), F("created_at"))
    always = Value(True, output_field=BooleanField())
    return _columns(qs, "group-declined", always, arrived)


GROUP_COMMENT_RELATED = ("group__assignee", "author")


def group_comment_item(comment: RequirementGroupComment) -> Item:
    """The inbox item of one group comment (its group, assignee and author loaded)."""
    return Item(
        kind="group-comment",
        key=f"group-comment-{comment.telnyx_id}",
        sub_order=None,
        group=comment.group,
        arrived=comment.telnyx_created_at,
        unread=comment.is_unread,
        comment=comment,
    )


def _load_group_comments(ids: list[int]) -> dict[int, Item]:
    found = RequirementGroupComment.objects.select_related(*GROUP_COMMENT_RELATED).in_bulk(ids)
    return {pk: group_comment_item(c) for pk, c in found.items()}


def _load_declined_groups(ids: list[int]) -> dict[int, Item]:
    found = RequirementGroupLink.objects.select_related("assignee").defer("values").in_bulk(ids)
    return {
        pk: Item(
            kind="group-declined",
            key=f"group-declined-{link.public_id}",
            sub_order=None,
            group=link,
            arrived=None,  # filled from the UNION's column
            unread=True,
        )
        for pk, link in found.items()
    }


SOURCES: list[Source] = [
    Source("comment", _comment_rows, _load_comments),
    Source("declined", _declined_rows, _load_declined),
    Source("group-comment", _group_comment_rows, _load_group_comments),
    Source("group-declined", _declined_group_rows, _load_declined_groups),
]


def _union(narrow: Narrow, unread_only: bool, counting: bool = False) -> QuerySet[Any]:
    parts = [source.rows(narrow, unread_only) for source in SOURCES]
    if counting:  # the id alone: no "arrived" (a subquery per declined number) to compute
        parts = [part.values_list("item") for part in parts]
    first, *rest = parts
    return first.union(*rest, all=True) if rest else first


@dataclass
class Page:
    items: list[Item]
    count: int
    page: int
    page_size: int

    @property
    def has_next(self) -> bool:
        return self.count > self.page * self.page_size

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def build(
    narrow: Narrow = EVERYTHING,
    unread_only: bool = False,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    now: datetime | None = None,
) -> Page:
    """Page ``page`` of the inbox over the records ``narrow`` keeps, unread first."""
    union = _union(narrow, unread_only)
    count = _union(narrow, unread_only, counting=True).count()
    offset = (max(page, 1) - 1) * page_size
    rows = list(union.order_by("-unread", "-arrived", "kind", "-item")[offset : offset + page_size])
    by_kind: dict[str, list[int]] = {}
    for kind, item, _unread, _arrived in rows:
        by_kind.setdefault(kind, []).append(item)
    loaded = {
        source.kind: source.load(by_kind[source.kind]) if by_kind.get(source.kind) else {}
        for source in SOURCES
    }
    items = []
    for kind, item_id, _unread, arrived in rows:
        item = loaded[kind].get(item_id)
        if item is None:  # deleted between the two queries
            continue
        item.arrived = None if arrived == _EPOCH else arrived
        items.append(item.tick(now or timezone.now(), sla()))
    add_details(items)
    return Page(items=items, count=count, page=max(page, 1), page_size=page_size)


def add_details(items: Iterable[Item]) -> None:
    """The first number of each comment's sub order and how many it has, and our latest reply
    on each comment's record (two queries for a page's sub orders, one for its groups)."""
    items = list(items)
    _add_sub_order_details([i for i in items if i.kind == "comment" and i.sub_order is not None])
    _add_group_replies([i for i in items if i.kind == "group-comment" and i.group is not None])


def _latest_reply(item: Item, replies: list[Any]) -> None:
    """``replies`` newest first: the newest one, if it came after the comment."""
    for reply in replies:
        if item.arrived and reply.telnyx_created_at and reply.telnyx_created_at > item.arrived:
            item.reply = reply
        break


def _add_sub_order_details(items: list[Item]) -> None:
    wanted = {i.sub_order.pk for i in items if i.sub_order is not None}
    if not wanted:
        return
    found = {
        row["sub_order_id"]: row
        for row in OrderedNumber.objects.filter(sub_order_id__in=wanted)
        .order_by()
        .values("sub_order_id")
        .annotate(first=Min("phone_number"), n=Count("id", output_field=IntegerField()))
    }
    replies: dict[int, list[SubOrderComment]] = {}
    for reply in (
        SubOrderComment.objects.filter(sub_order_id__in=wanted)
        .exclude(commenter_type="admin")
        .select_related("author")
        .defer("body")  # who and when, not what: no decryption
        .order_by("-telnyx_created_at", "-id")
    ):
        replies.setdefault(reply.sub_order_id, []).append(reply)
    for item in items:
        assert item.sub_order is not None
        row = found.get(item.sub_order.pk)
        if row:
            item.first_number, item.numbers = row["first"], row["n"]
        _latest_reply(item, replies.get(item.sub_order.pk, []))


def _add_group_replies(items: list[Item]) -> None:
    wanted = {i.group.pk for i in items if i.group is not None}
    if not wanted:
        return
    replies: dict[int, list[RequirementGroupComment]] = {}
    for reply in (
        RequirementGroupComment.objects.filter(group_id__in=wanted)
        .exclude(commenter_type="admin")
        .select_related("author")
        .defer("body")
        .order_by("-telnyx_created_at", "-id")
    ):
        replies.setdefault(reply.group_id, []).append(reply)
    for item in items:
        assert item.group is not None
        _latest_reply(item, replies.get(item.group.pk, []))


def unread_count(narrow: Narrow = EVERYTHING) -> int:
    """Unread comments (sub orders' and groups') plus open declined numbers and groups: the
    nav badge (one query)."""
    return _union(narrow, True, counting=True).count()


def sla() -> timedelta:
    return timedelta(hours=settings.INBOX_SLA_HOURS)


def clock(age: timedelta | None) -> str:
    """An age in words: "45 min", "3 h 12 min", "2 d 5 h"."""
    if age is None:
        return "—"
    minutes = max(0, int(age.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def now() -> datetime:
    return timezone.now()
