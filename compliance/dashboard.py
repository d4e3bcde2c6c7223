"""The figures behind the dashboard ("the picture"): one aggregate query per chart.

Every figure is computed by the database (GROUP BY), so the number of queries and the rows
fetched depend on the number of countries, months, weeks and requirement types, never on the
number of orders. The definitions, also shown on the page:

* **numbers by state**: mirrored numbers of orders created in the range, by country, number
  status and vetting state (``requirements_status``);
* **order to activation**: for numbers whose status became ``success`` (the sync's history),
  the time from the order being placed (or created, before it was placed) to that change;
  median and 90th percentile per country and month of the order;
* **rejection rate**: of the requirement values Telnyx has decided (approved or declined, as
  the mirror holds them now), the share declined, per requirement type and per country;
* **rejection reasons**: the lines of Telnyx admin comments listing declined values
  (``- <number> - <requirement>: <reason>``), counted by requirement and reason; a comment in
  another shape counts once under its first line;
* **deadlines**: pending numbers whose deadline falls in the next 14 days, per day (not
  limited by the range: it looks ahead);
* **submissions**: submissions per week (Monday first); a *first* submission has no
  predecessor, and it was *approved first time* when it went to Telnyx, nobody had to send
  another one for the same target, and the target's requirements are approved.

A range chosen by a manager is computed on the spot, so the figures avoid reading every row
where they can: numbers by state and rejection rates are summed from per-day tallies kept by
PostgreSQL triggers (``orders.tallies``); rejection reasons were parsed when their comment was
mirrored and are grouped by a keyed digest, so only those shown are decrypted
(``orders.rejections``); the other charts read narrow indexes. The figures of a range are also
cached (Django's cache, Redis) for ``DASHBOARD_CACHE_SECONDS`` and the page says when they were
computed; the beat task ``warm_dashboard`` recomputes the default range before it expires. A
cache that is down only makes the page slower.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from compliance.models import RequirementType, Submission
from orders.models import (
    Activation,
    CommentRejection,
    NumberStatusChange,
    NumberTally,
    OrderedNumber,
)

log = logging.getLogger(__name__)

DEADLINE_DAYS = 14
TOP_REASONS = 10


@dataclass(frozen=True)
class DateRange:
    """Orders (and submissions) created from ``start`` (inclusive) to ``end`` (inclusive)."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @classmethod
    def default(cls, today: date | None = None) -> DateRange:
        today = today or timezone.localdate()
        return cls(today - timedelta(days=364), today)


class Percentiles(Aggregate):
    """PostgreSQL's ``percentile_cont(ARRAY[f, ...]) WITHIN GROUP (ORDER BY expr)``: several
    percentiles from one sort of the group (two ``percentile_cont`` calls sort it twice)."""

    function = "percentile_cont"
    name = "Percentiles"
    template = "%(function)s(ARRAY[%(fractions)s]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fractions: Sequence[float], **extra: Any) -> None:
        listed = ", ".join(repr(float(f)) for f in fractions)
        super().__init__(expression, fractions=listed, **extra)


def percentile(values: Sequence[float], fraction: float) -> float:
    """``percentile_cont``: linear interpolation between the closest ranks (sorted input)."""
    if not values:
        return math.nan
    position = (len(values) - 1) * fraction
    low = math.floor(position)
    high = math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


@dataclass
class StateRow:
    country: str
    total: int
    by_vetting: dict[str, int]
    by_status: dict[str, int]


@dataclass
class ActivationRow:
    country: str
    month: date
    numbers: int
    median_hours: float
    p90_hours: float


@dataclass
class RateRow:
    key: str
    label: str
    decided: int
    declined: int

    @property
    def rate(self) -> float:
        return self.declined / self.decided if self.decided else 0.0


@dataclass
class ReasonRow:
    requirement: str
    reason: str
    count: int


@dataclass
class DeadlineRow:
    day: date
    numbers: int
    sub_orders: int


@dataclass
class SubmissionRow:
    week: date
    submissions: int
    first: int
    first_approved: int

    @property
    def share(self) -> float:
        return self.first_approved / self.first if self.first else 0.0


@dataclass
class Picture:
    range: DateRange
    computed_at: datetime | None = None
    states: list[StateRow] = field(default_factory=list)
    vetting_states: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    activation: list[ActivationRow] = field(default_factory=list)
    by_requirement: list[RateRow] = field(default_factory=list)
    by_country: list[RateRow] = field(default_factory=list)
    reasons: list[ReasonRow] = field(default_factory=list)
    deadlines: list[DeadlineRow] = field(default_factory=list)
    submissions: list[SubmissionRow] = field(default_factory=list)


def picture(date_range: DateRange, now: datetime | None = None) -> Picture:
    """Every figure of the dashboard for orders created in ``date_range``."""
    now = now or timezone.now()
    result = Picture(range=date_range, computed_at=now)
    with transaction.atomic(), _plain_plans():
        counts = count_numbers(date_range)
        result.states, result.vetting_states, result.statuses = numbers_by_state(date_range, counts)
        result.by_requirement, result.by_country = rejection_rates(date_range, counts)
        result.activation = activation_times(date_range)
        result.reasons = rejection_reasons(date_range)
        result.deadlines = upcoming_deadlines(now)
        result.submissions = submissions_per_week(date_range)
    return result


@contextmanager
def _plain_plans() -> Iterator[None]:
    """Run the aggregates without JIT compilation (PostgreSQL, this transaction only).

    Each aggregate reads tens of thousands of rows, so its estimated cost passes
    ``jit_above_cost`` and PostgreSQL compiles it with LLVM first; at these sizes compiling
    took longer (20-55 ms per query, measured with EXPLAIN ANALYZE) than running the query.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
    yield


def _cache_key(date_range: DateRange) -> str:
    return f"dashboard:v1:{date_range.start:%Y%m%d}:{date_range.end:%Y%m%d}"


def cached_picture(date_range: DateRange, refresh: bool = False) -> Picture:
    """``picture`` from the cache when it was computed less than DASHBOARD_CACHE_SECONDS ago."""
    seconds = int(settings.DASHBOARD_CACHE_SECONDS)
    if seconds <= 0:
        return picture(date_range)
    key = _cache_key(date_range)
    if not refresh:
        try:
            hit = cache.get(key)
        except Exception:  # the cache is down: compute, as without a cache
            log.warning("dashboard cache unavailable; computing the figures")
            hit = None
        if isinstance(hit, Picture):
            return hit
    result = picture(date_range)
    try:
        cache.set(key, result, seconds)
    except Exception:  # the cache is down: the figures are still shown
        log.warning("dashboard cache unavailable; figures not kept")
    return result


def _in_range(prefix: str, date_range: DateRange) -> Q:
    return Q(**{f"{prefix}__gte": date_range.since, f"{prefix}__lt": date_range.until})


# Databases whose triggers keep ``orders_numbertally`` (see orders.tallies); elsewhere the
# numbers themselves are counted.
TALLIED = ("postgresql",)


@dataclass(frozen=True)
class _Parts:
    """A range as whole UTC days, summed from the tallies (``days``: first, end exclusive),
    and what is left at its ends, counted from the numbers themselves (``rest``).

    The tallies are per UTC day of the order; a range in another time zone starts and ends
    inside a UTC day, so those hours are counted the slow way (a day at most at each end).
    """

    days: tuple[date, date] | None
    rest: list[tuple[datetime, datetime]]


def _parts(date_range: DateRange) -> _Parts:
    since, until = date_range.since, date_range.until
    if connection.vendor not in TALLIED:
        return _Parts(None, [(since, until)])

    def utc_midnight(moment: datetime, later: bool) -> datetime:
        moment = moment.astimezone(UTC)
        midnight = datetime.combine(moment.date(), time.min, tzinfo=UTC)
        return midnight + timedelta(days=1) if later and midnight < moment else midnight

    first, last = utc_midnight(since, later=True), utc_midnight(until, later=False)
    if first >= last:
        return _Parts(None, [(since, until)])
    rest = [(a, b) for a, b in ((since, first), (last, until)) if a < b]
    return _Parts((first.date(), last.date()), rest)


def _created_in(prefix: str, spans: Sequence[tuple[datetime, datetime]]) -> Q:
    q = Q(pk__in=[])
    for since, until in spans:
        q |= Q(**{f"{prefix}__gte": since, f"{prefix}__lt": until})
    return q


@dataclass
class NumberCounts:
    """What the first two charts count: numbers per ``(country, status, vetting state)`` and
    ``[declined, decided]`` requirement values per ``(requirement id, country)``."""

    states: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    values: dict[tuple[str, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )


def count_numbers(date_range: DateRange) -> NumberCounts:
    """Summed from the tallies (``orders.tallies``, one query for both charts); the hours of
    the range not in them, and every number on a database without them, are counted from the
    numbers themselves."""
    parts = _parts(date_range)
    counts = NumberCounts()
    values: list[tuple[Any, ...]] = []
    if parts.days:
        tallies = (
            NumberTally.objects.filter(day__gte=parts.days[0], day__lt=parts.days[1])
            .order_by()
            .values_list("requirement_id", "country_code", "status", "requirements_status")
            .annotate(Sum("numbers"), Sum("declined"), Sum("decided"))
        )
        for requirement_id, country, status, vetting, numbers, declined, decided in tallies:
            if requirement_id is None:  # a number's own line
                counts.states[country, status, vetting] += numbers
            else:
                values.append((requirement_id, country, declined, decided))
    if parts.rest:
        numbers = (
            OrderedNumber.objects.filter(_created_in("number_order__created_at", parts.rest))
            .order_by()
            .values_list("country_code", "status", "requirements_status")
            .annotate(n=Count("id"))
        )
        counts.states.update({(c, s, v): n for c, s, v, n in numbers})
        values += _count_values(parts.rest)
    for requirement_id, country, declined, decided in values:
        pair = counts.values[requirement_id or "", country or ""]
        pair[0] += int(declined or 0)
        pair[1] += int(decided or 0)
    return counts


def numbers_by_state(
    date_range: DateRange, counts: NumberCounts | None = None
) -> tuple[list[StateRow], list[str], list[str]]:
    counts = counts or count_numbers(date_range)
    countries: dict[str, StateRow] = {}
    vetting: set[str] = set()
    statuses: set[str] = set()
    for (country, status, req_status), n in counts.states.items():
        if not n:
            continue  # every number counted there has moved on
        row = countries.setdefault(country or "", StateRow(country or "", 0, {}, {}))
        row.total += n
        row.by_vetting[req_status] = row.by_vetting.get(req_status, 0) + n
        row.by_status[status] = row.by_status.get(status, 0) + n
        vetting.add(req_status)
        statuses.add(status)
    ordered = sorted(countries.values(), key=lambda r: (-r.total, r.country))
    return ordered, _state_order(vetting, VETTING_ORDER), _state_order(statuses, STATUS_ORDER)


VETTING_ORDER = (
    "approved",
    "requirement-info-under-review",
    "requirement-info-pending",
    "requirement-info-exception",
    "",
)
STATUS_ORDER = ("success", "pending", "failure", "cancelled", "deleted", "")


def _state_order(found: Iterable[str], known: Sequence[str]) -> list[str]:
    found = set(found)
    first = [s for s in known if s in found and s != ""]
    rest = sorted(s for s in found if s not in known)
    return first + rest + ([""] if "" in found else [])


def activation_times(date_range: DateRange) -> list[ActivationRow]:
    changes: QuerySet[Any]
    if connection.vendor in TALLIED:
        # The triggers' copy of each activation with its country and order times
        # (orders.tallies): one narrow table instead of joining history, numbers and orders.
        changes = Activation.objects.filter(_in_range("ordered_at", date_range)).annotate(
            country=F("country_code")
        )
    else:
        changes = NumberStatusChange.objects.filter(
            _in_range("number__number_order__created_at", date_range),
            field="status",
            new_value="success",
        ).annotate(
            started=Coalesce("number__number_order__placed_at", "number__number_order__created_at"),
            country=F("number__country_code"),
        )
    changes = changes.order_by().annotate(month=TruncMonth("started"), took=F("at") - F("started"))
    if connection.vendor == "postgresql":
        rows = (
            changes.values("country", "month")
            .annotate(
                numbers=Count("number_id", distinct=True),
                took_percentiles=Percentiles(
                    "took", (0.5, 0.9), output_field=ArrayField(DurationField())
                ),
            )
            .order_by("country", "month")
        )
        return [
            ActivationRow(
                r["country"],
                _as_date(r["month"]),
                r["numbers"],
                _hours(r["took_percentiles"][0]),
                _hours(r["took_percentiles"][1]),
            )
            for r in rows
        ]
    # Other databases (SQLite in `make run`) have no percentile aggregate: the same figure
    # from the durations (one row per activated number; fine at demo sizes).
    groups: dict[tuple[str, date], list[float]] = defaultdict(list)
    numbers: dict[tuple[str, date], set[int]] = defaultdict(set)
    for country, month, at, started, number_id in changes.values_list(
        "country", "month", "at", "started", "number_id"
    ):
        key = (country, _as_date(month))
        groups[key].append((at - started).total_seconds() / 3600)
        numbers[key].add(number_id)
    out = []
    for key in sorted(groups):
        hours = sorted(groups[key])
        out.append(
            ActivationRow(
                key[0],
                key[1],
                len(numbers[key]),
                percentile(hours, 0.5),
                percentile(hours, 0.9),
            )
        )
    return out


def _hours(value: timedelta | None) -> float:
    return value.total_seconds() / 3600 if value is not None else math.nan


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    return value


_RATES_SQL = {
    "postgresql": """
        SELECT e.value->>'requirement_id', n.country_code,
               COUNT(*) FILTER (WHERE e.value->>'status' = 'declined'),
               COUNT(*) FILTER (WHERE e.value->>'status' IN ('approved', 'declined'))
        FROM orders_orderednumber n
        JOIN orders_numberorder o ON o.id = n.number_order_id
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN jsonb_typeof(n.regulatory_requirements) = 'array'
                 THEN n.regulatory_requirements ELSE '[]'::jsonb END) e
        WHERE {created_in}
        GROUP BY 1, 2
    """,
    "sqlite": """
        SELECT json_extract(e.value, '$.requirement_id'), n.country_code,
               SUM(CASE WHEN json_extract(e.value, '$.status') = 'declined' THEN 1 ELSE 0 END),
               SUM(CASE WHEN json_extract(e.value, '$.status') IN ('approved', 'declined')
                   THEN 1 ELSE 0 END)
        FROM orders_orderednumber n
        JOIN orders_numberorder o ON o.id = n.number_order_id,
             json_each(CASE WHEN json_type(n.regulatory_requirements) = 'array'
                            THEN n.regulatory_requirements ELSE '[]' END) e
        WHERE {created_in}
        GROUP BY 1, 2
    """,
}


def _count_values(spans: Sequence[tuple[datetime, datetime]]) -> list[tuple[Any, ...]]:
    """``(requirement id, country, declined, decided)`` of the numbers ordered in ``spans``.

    Raw SQL because the values live in a JSON list per number, unrolled by the database
    (``jsonb_array_elements`` / ``json_each``); the ORM has no expression for that.
    """
    sql = _RATES_SQL.get(connection.vendor)
    if sql is None:
        return []
    created_in = " OR ".join("(o.created_at >= %s AND o.created_at < %s)" for _ in spans)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(created_in=created_in), [t for span in spans for t in span])
        return cursor.fetchall()


def rejection_rates(
    date_range: DateRange, counts: NumberCounts | None = None
) -> tuple[list[RateRow], list[RateRow]]:
    """Declined / decided requirement values, per requirement type and per country."""
    counts = counts or count_numbers(date_range)
    per_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_country: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    # A (requirement, country) pair none of whose values is decided (any more: the tallies'
    # +1 and -1 cancel) is left out.
    for (requirement_id, country), (declined, decided) in counts.values.items():
        if not decided:
            continue
        for bucket, key in ((per_type, requirement_id), (per_country, country)):
            bucket[key][0] += declined
            bucket[key][1] += decided
    names = dict(
        RequirementType.objects.filter(telnyx_id__in=list(per_type)).values_list(
            "telnyx_id", "name"
        )
    )

    def rows_of(bucket: dict[str, list[int]], label: Any) -> list[RateRow]:
        out = [RateRow(k, label(k), d, n) for k, (n, d) in bucket.items()]
        return sorted(out, key=lambda r: (-r.rate, -r.decided, r.label))

    return (
        rows_of(per_type, lambda k: names.get(k) or k or "(unknown requirement)"),
        rows_of(per_country, lambda k: k or "(no country)"),
    )


def rejection_reasons(date_range: DateRange, limit: int = TOP_REASONS) -> list[ReasonRow]:
    """The ``limit`` most common ``(requirement, reason)`` pairs of admin comments.

    The pairs were parsed when each comment was mirrored (``orders.rejections``); the database
    counts them by their keyed digest, and only the pairs shown are decrypted: those whose
    count reaches the ``limit``-th one (ties are ranked by their text, so all of them are read).
    """
    groups = list(
        CommentRejection.objects.filter(
            _in_range("comment__sub_order__number_order__created_at", date_range),
            comment__commenter_type="admin",
        )
        .order_by()
        .values_list("digest")
        .annotate(n=Count("id"), example=Min("id"))
        .order_by("-n")
    )
    if not groups:
        return []
    cutoff = groups[min(limit, len(groups)) - 1][1]
    shown = {example: n for _, n, example in groups if n >= cutoff}
    texts = CommentRejection.objects.filter(id__in=list(shown)).values_list(
        "id", "requirement", "reason"
    )
    ranked = sorted((-shown[pk], requirement, reason) for pk, requirement, reason in texts)
    return [ReasonRow(requirement, reason, -n) for n, requirement, reason in ranked[:limit]]


def upcoming_deadlines(now: datetime, days: int = DEADLINE_DAYS) -> list[DeadlineRow]:
    """One row per day of the next ``days`` days (days without a deadline show 0)."""
    rows = (
        OrderedNumber.objects.filter(
            deadline__gte=now, deadline__lt=now + timedelta(days=days), status="pending"
        )
        .order_by()
        .annotate(day=TruncDate("deadline"))
        .values("day")
        # COUNT(*), not COUNT(id): the partial index orders_number_pending_deadline holds the
        # deadline and sub order but not the id, and then answers alone (a third of the time).
        .annotate(numbers=Count("*"), sub_orders=Count("sub_order", distinct=True))
    )
    found = {r["day"]: r for r in rows}
    first = timezone.localtime(now).date()
    out = []
    for offset in range(days + 1):
        day = first + timedelta(days=offset)
        r = found.get(day)
        if r is None and offset == days:
            continue  # the partial last day appears only when it has deadlines
        out.append(DeadlineRow(day, r["numbers"] if r else 0, r["sub_orders"] if r else 0))
    return out


def submissions_per_week(date_range: DateRange) -> list[SubmissionRow]:
    later = Submission.objects.filter(previous=OuterRef("pk"))
    # The number is looked up only for submissions that have one (EXISTS, by primary key),
    # not joined: a join made PostgreSQL hash every number first.
    number_approved = Exists(
        OrderedNumber.objects.filter(pk=OuterRef("number_id"), requirements_status="approved")
    )
    approved_target = Q(number__isnull=True, sub_order__requirements_met=True) | (
        Q(number__isnull=False) & Q(number_approved)
    )
    rows = (
        Submission.objects.filter(_in_range("created_at", date_range))
        .order_by()
        .annotate(followed=Exists(later), week=TruncWeek("created_at"))
        .values("week")
        .annotate(
            total=Count("id"),
            first=Count("id", filter=Q(previous__isnull=True)),
            first_ok=Count(
                "id",
                filter=Q(previous__isnull=True, status=Submission.Status.SUBMITTED, followed=False)
                & approved_target,
            ),
        )
        .order_by("week")
    )
    return [SubmissionRow(_as_date(r["week"]), r["total"], r["first"], r["first_ok"]) for r in rows]
