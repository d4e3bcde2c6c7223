"""Keeping our mirror in step with Telnyx: one order on demand, or every non-final one.

Telnyx has no "changes since" feed and no events for vetting, deadlines or comments, so the
periodic pass polls, with the fewest calls the API allows:

* ``GET /sub_number_orders?filter[status]=pending`` lists every pending sub order; a tracked
  sub order missing from that list has moved on and is fetched by id.
* A number's ``deadline`` is only on ``/number_order_phone_numbers`` records. Per country, the
  pass either lists them (``filter[country_code]``, the only documented filter; it returns
  every number ever ordered there) or GETs each pending number by id, whichever takes fewer
  calls (``ORDERS_SYNC_LIST_NUMBERS`` switches listing off).
* ``GET /comments`` per sub order (both filters, always).

The GETs run in a thread pool (``ORDERS_SYNC_CONCURRENCY``) through the shared client, whose
Redis token bucket keeps every process together under the rate limit (P13); the paged lists
start first, and one chunk of sub orders is compared and written (in this thread) while the
next one is fetched. Rows are compared before anything is written, so a pass without changes
writes nothing but its `SyncRun` row. The pass walks sub orders by primary key and checkpoints
a cursor after each chunk: a pass that dies half-way leaves everything before the cursor
committed, and the next pass resumes after it (P25).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Count, F, Q
from django.utils import timezone

from orders.mirror import (
    COMMENT_COMPARED,
    NUMBER_COMPARED,
    SUB_COMPARED,
    Changes,
    SubOrderSnapshot,
    apply_order,
    apply_sub_order,
    g,
    mark_order_synced,
    refresh_aggregates,
    snapshot_differs,
)
from orders.models import (
    FINAL_ORDER_STATUSES,
    ChangeSource,
    NumberOrder,
    OrderedNumber,
    SubNumberOrder,
    SubOrderComment,
    SyncRun,
)
from portal.heap import long_lived_frozen
from portal.telnyx import TelnyxClient, get_client
from portal.telnyx.errors import NotFoundError, TelnyxError
from portal.telnyx.pagination import Page

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class SyncReport:
    checked: int = 0
    changed_rows: int = 0
    history: int = 0
    api_calls: int = 0
    errors: list[str] = field(default_factory=list)
    listed: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, Any] | None = None
    pending_failed: bool = False


def _pmap(fn: Callable[[T], R], items: Iterable[T], concurrency: int | None = None) -> list[R]:
    """Run ``fn`` over ``items`` in threads (HTTP only: the threads never touch the DB)."""
    items = list(items)
    workers = max(1, min(concurrency or int(settings.ORDERS_SYNC_CONCURRENCY), len(items) or 1))
    if workers == 1:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="orders-sync") as pool:
        return list(pool.map(fn, items))


# --- one order / one sub order ---------------------------------------------------------------


def refresh_order(
    order: NumberOrder, source: str = ChangeSource.SYNC, event_at: datetime | None = None
) -> Changes:
    """Re-fetch an order, its sub orders, their numbers and comments; write only changes."""
    if not order.telnyx_id:
        return Changes()
    client = get_client()
    telnyx_order = client.get_number_order(order.telnyx_id)
    changes = apply_order(order, telnyx_order, event_at=event_at)
    sub_ids = list(g(telnyx_order, "sub_number_orders_ids", []) or [])
    known = {s.telnyx_id: s for s in order.sub_orders.all()}
    for sub_id in known:
        if sub_id not in sub_ids:
            sub_ids.append(sub_id)
    # Numbers per sub order: those the order response lists, plus those we already track.
    number_ids = {str(g(n, "id")) for n in g(telnyx_order, "phone_numbers", []) or []}
    number_ids |= set(order.numbers.values_list("telnyx_id", flat=True))
    snapshots = _fetch_sub_orders(sub_ids, number_ids)
    for snapshot in snapshots:
        changes += apply_sub_order(order, snapshot, source)
    if source != ChangeSource.SYNC:
        mark_order_synced(order)
    refresh_aggregates(order)
    return changes


def refresh_sub_order(sub_order: SubNumberOrder, source: str = ChangeSource.USER) -> None:
    """Re-fetch one sub order, its numbers and comments from Telnyx; write only changes.

    Compliance calls this after it changed something at Telnyx (values, comments).
    """
    number_ids = set(sub_order.numbers.values_list("telnyx_id", flat=True))
    (snapshot,) = _fetch_sub_orders([sub_order.telnyx_id], number_ids)
    order = sub_order.number_order
    changes = apply_sub_order(order, snapshot, source)
    if changes.status_changed and order.telnyx_id:
        # The parent's status is derived from its sub orders at Telnyx.
        apply_order(order, get_client().get_number_order(order.telnyx_id))


def _fetch_sub_orders(sub_ids: list[str], number_ids: set[str]) -> list[SubOrderSnapshot]:
    """GET each sub order (with its first 50 numbers), every number by id, and comments."""
    client = get_client()

    def fetch_sub(sub_id: str) -> Any:
        return client.get_sub_number_order(sub_id, include_phone_numbers=True)

    subs = _pmap(fetch_sub, sub_ids)
    for sub in subs:
        number_ids |= {str(g(n, "id")) for n in g(sub, "phone_numbers", []) or []}
    numbers = _fetch_numbers(sorted(number_ids))
    comments = _pmap(lambda s: _list_comments(str(g(s, "id"))), subs)
    by_sub: dict[str, list[Any]] = defaultdict(list)
    for number in numbers:
        by_sub[str(g(number, "sub_number_order_id"))].append(number)
    return [
        SubOrderSnapshot(sub=sub, numbers=by_sub.get(str(g(sub, "id")), []), comments=cmts)
        for sub, cmts in zip(subs, comments, strict=True)
    ]


def _fetch_numbers(number_ids: list[str]) -> list[Any]:
    client = get_client()

    def fetch(number_id: str) -> Any:
        try:
            return client.get_number_order_phone_number(number_id)
        except NotFoundError:
            return None

    return [n for n in _pmap(fetch, number_ids) if n is not None]


def _list_comments(sub_id: str) -> list[Any]:
    return list(get_client().list_comments("sub_number_order", sub_id))


# --- the active pass --------------------------------------------------------------------------

# Sub orders whose numbers are in these states are waiting on a Telnyx decision soon.
ACTIVE_REQUIREMENT_STATUSES = ("requirement-info-under-review", "requirement-info-exception")
# "Just placed" and "just submitted" stay active this long.
ACTIVE_WINDOW = timedelta(minutes=15)
# Most sub orders one active pass re-reads (stalest first); the rest wait for the next pass.
ACTIVE_MAX = 100


def active_sub_orders(now: datetime | None = None) -> Any:
    """Pending sub orders just placed, just submitted, under review or in exception."""
    since = (now or timezone.now()) - ACTIVE_WINDOW
    hot = (
        Q(numbers__requirements_status__in=ACTIVE_REQUIREMENT_STATUSES)
        | Q(created_at__gte=since)
        # Compliance's submissions (a string lookup: orders does not import compliance).
        | Q(compliance_submissions__sent_at__gte=since)
    )
    ids = non_final_sub_orders().filter(hot).values("pk")
    return (
        SubNumberOrder.objects.filter(pk__in=ids)
        .exclude(status__in=FINAL_ORDER_STATUSES)
        .select_related("number_order")
        .order_by(F("last_synced_at").asc(nulls_first=True), "pk")
    )


def sync_active(limit: int = ACTIVE_MAX) -> SyncReport:
    """Re-read the active sub orders (the short cadence); idle ones wait for ``sync_pending``.

    Every call goes through the shared client, so this pass and the long one share the
    Redis token bucket (P13). A sub order Telnyx cannot answer for is skipped, not fatal.
    """
    report = SyncReport()
    for sub_order in active_sub_orders()[:limit]:
        report.checked += 1
        try:
            refresh_sub_order(sub_order, source=ChangeSource.SYNC)
        except TelnyxError as exc:
            report.errors.append(f"{sub_order.telnyx_id}: {exc}")
            log.warning("active sync: sub order %s not refreshed: %s", sub_order.pk, exc)
        SubNumberOrder.objects.filter(pk=sub_order.pk).update(last_synced_at=timezone.now())
    return report


# --- the periodic pass -----------------------------------------------------------------------


def non_final_sub_orders() -> Any:
    return SubNumberOrder.objects.exclude(status__in=FINAL_ORDER_STATUSES).order_by("pk")


def sync_pending(concurrency: int | None = None, chunk_size: int = 500) -> SyncReport:
    """Refresh every non-final order; resumes after the cursor of a pass that did not finish."""
    with long_lived_frozen():
        return _sync_pending(concurrency, chunk_size)


def _sync_pending(concurrency: int | None, chunk_size: int) -> SyncReport:
    report = SyncReport()
    previous = SyncRun.objects.order_by("-pk").first()
    resume_after = previous.cursor if previous and previous.state != SyncRun.State.DONE else 0
    run = SyncRun.objects.create(state=SyncRun.State.RUNNING, resumed_from=resume_after or 0)
    try:
        _refresh_orphans(report)
        pks = list(non_final_sub_orders().values_list("pk", flat=True))
        # Resume after the cursor, then wrap around to what came before it.
        pks = [pk for pk in pks if pk > resume_after] + [pk for pk in pks if pk <= resume_after]
        batch = pks[: int(settings.ORDERS_SYNC_BATCH_SIZE)]
        # The whole set, when the batch is all of it: a subquery instead of thousands of ids.
        scope = non_final_sub_orders().values("pk") if len(batch) == len(pks) else batch
        _run_chunks(batch, report, concurrency, chunk_size, run, _list_countries(scope))
    except Exception as exc:
        SyncRun.objects.filter(pk=run.pk).update(
            state=SyncRun.State.FAILED, finished_at=timezone.now(), error=str(exc)[:2000]
        )
        raise
    SyncRun.objects.filter(pk=run.pk).update(
        state=SyncRun.State.DONE,
        finished_at=timezone.now(),
        cursor=0,
        checked=report.checked,
        changed_rows=report.changed_rows,
        history=report.history,
        api_calls=report.api_calls,
        error="; ".join(report.errors)[:2000],
    )
    return report


# Records per page of the listings: the client asks for 250 (Telnyx's default is 20).
LIST_PAGE_SIZE = 250


def _list_countries(sub_orders: Any) -> set[str]:
    """Countries whose numbers are cheaper to list than to GET one by one.

    ``GET /number_order_phone_numbers`` filters only by country and returns every number ever
    ordered there, so listing pays off when the pages it takes (estimated from the numbers we
    know in that country) are fewer than the pending numbers we would otherwise GET.
    """
    if not settings.ORDERS_SYNC_LIST_NUMBERS:
        return set()
    pending = dict(
        OrderedNumber.objects.filter(sub_order_id__in=sub_orders)
        .order_by()
        .values_list("country_code")
        .annotate(n=Count("pk"))
        .values_list("country_code", "n")
    )
    totals = dict(
        OrderedNumber.objects.filter(country_code__in=list(pending))
        .values_list("country_code")
        .annotate(n=Count("pk"))
        .values_list("country_code", "n")
    )
    return {
        country
        for country, wanted in pending.items()
        if country and math.ceil(totals.get(country, 0) / LIST_PAGE_SIZE) < wanted
    }


class _Listing:
    """A paged Telnyx list fetched on the sync's pool: page 1 first, then every page it
    announces side by side (one after the other, 20 pages would be 20 round trips on the
    critical path while the other threads idle)."""

    def __init__(self, pool: ThreadPoolExecutor, fetch: Callable[[int], Page[Any]]) -> None:
        self.pool = pool
        self.fetch = fetch
        self.first = pool.submit(fetch, 1)
        self.rest: list[Future[Page[Any]]] | None = None

    def expand(self) -> None:
        """Queue the later pages (main thread, once page 1 is in); none if page 1 failed."""
        if self.rest is not None:
            return
        try:
            page = self.first.result()
        except TelnyxError:
            self.rest = []
            return
        self.rest = [self.pool.submit(self.fetch, n) for n in page.later_numbers]

    def result(self) -> tuple[dict[str, Any], int]:
        """Every record by id and the calls it took; raises the first failed page's error.

        Records that moved between pages while they were read are missed here and GET by id
        by the caller; a page that repeats page 1 (the page number was ignored) adds nothing.
        """
        self.expand()
        first = self.first.result()
        found = dict(zip(map(str, first.ids), first.items, strict=True))
        calls = 1
        for future in self.rest or []:
            page = future.result()
            calls += 1
            if page.ids != first.ids:
                found.update(zip(map(str, page.ids), page.items, strict=True))
        return found, calls


def _refresh_orphans(report: SyncReport) -> None:
    """Placed orders whose sub orders could not be fetched right after placing."""
    orphans = NumberOrder.objects.filter(telnyx_id__isnull=False, sub_orders__isnull=True)
    for order in orphans.exclude(status__in=FINAL_ORDER_STATUSES):
        try:
            changes = refresh_order(order, ChangeSource.SYNC)
        except TelnyxError as exc:
            report.errors.append(f"order {order.pk}: {exc}")
            continue
        report.changed_rows += changes.rows
        report.history += changes.history


@dataclass
class _Chunk:
    """One chunk of sub orders: rows loaded up front, fetches running in the pool.

    Rows are named tuples of the compared columns (``values_list(named=True)``), not model
    instances: a steady pass compares thousands of rows and changes none, and building model
    instances (``__init__``, ``pre_init``/``post_init`` signals) took CPU from the threads
    waiting on Telnyx (loading a 1,000-sub-order pass: 67-107 ms as instances, 36-41 as
    rows). A sub order that differs is written through ``apply_sub_order``, which reads and
    locks the real rows.
    """

    pks: list[int]
    subs: list[Any]
    numbers: dict[int, dict[str, Any]]
    comments: dict[int, dict[str, Any]]
    # Per sub order: ids of its numbers to GET one by one, and (id, country) of those that the
    # country listings carry.
    to_get: dict[int, list[str]]
    listed: dict[int, list[tuple[str, str]]]
    futures: list[Future[list[tuple[SubOrderSnapshot | None, int, str]]]] = field(
        default_factory=list
    )
    listings: dict[str, _Listing] = field(default_factory=dict)
    pending: _Listing | None = None


def _ascending_runs(pks: list[int], size: int) -> list[list[int]]:
    """``pks`` cut into runs of at most ``size`` ascending keys (a resumed pass wraps around:
    no run spans the wrap), so each run is "the non-final sub orders between two keys"."""
    runs: list[list[int]] = []
    for pk in pks:
        if runs and len(runs[-1]) < size and pk > runs[-1][-1]:
            runs[-1].append(pk)
        else:
            runs.append([pk])
    return runs


def _load_chunk(pks: list[int], listed_countries: Iterable[str] = ()) -> _Chunk:
    """The chunk's rows, only the columns the comparison reads (the parent order is read
    only for a sub order that changed).

    The chunk is selected as the non-final sub orders between its first and last key, and
    their numbers and comments through that subquery, rather than by lists of 200 ids: Django
    prepares and quotes every id of an ``IN`` list in Python (a third of a steady pass's
    loading, measured 36 ms against 23 ms). A sub order that turned final since the keys were
    listed is left out; it needs no sync."""
    chunk_subs = non_final_sub_orders().filter(pk__gte=pks[0], pk__lte=pks[-1])
    subs = list(chunk_subs.values_list(*SUB_COMPARED, named=True))
    in_chunk = chunk_subs.values("pk")
    numbers: dict[int, dict[str, Any]] = defaultdict(dict)
    to_get: dict[int, list[str]] = defaultdict(list)
    listed: dict[int, list[tuple[str, str]]] = defaultdict(list)
    by_listing = frozenset(listed_countries)
    for number in OrderedNumber.objects.filter(sub_order_id__in=in_chunk).values_list(
        *NUMBER_COMPARED, named=True
    ):
        numbers[number.sub_order_id][number.telnyx_id] = number
        if number.country_code in by_listing:
            listed[number.sub_order_id].append((number.telnyx_id, number.country_code))
        else:
            to_get[number.sub_order_id].append(number.telnyx_id)
    comments: dict[int, dict[str, Any]] = defaultdict(dict)
    for comment in SubOrderComment.objects.filter(sub_order_id__in=in_chunk).values_list(
        *COMMENT_COMPARED, named=True
    ):
        comments[comment.sub_order_id][comment.telnyx_id] = comment
    return _Chunk(pks, subs, numbers, comments, to_get, listed)


def _fetch_one(
    client: TelnyxClient, sub_id: str, number_ids: list[str]
) -> tuple[SubOrderSnapshot | None, int, str]:
    """Runs in a pool thread: HTTP only, no database. Returns (snapshot, calls, error).

    The sub order itself comes from the pending list (or a GET at apply time if it has left
    that list); here only its numbers that are not listed by country, and its comments.
    """
    calls = 0
    try:
        numbers = []
        for number_id in number_ids:
            calls += 1
            try:
                numbers.append(client.get_number_order_phone_number(number_id))
            except NotFoundError:
                continue
        calls += 1
        comments = list(client.list_comments("sub_number_order", sub_id))
    except TelnyxError as exc:
        return None, calls, str(exc)
    return SubOrderSnapshot(None, numbers, comments), calls, ""


# Sub orders per pool task: one future per sub order cost a measurable share of a steady
# pass's CPU (hand-offs between threads); a few per task keep all threads busy all the same.
# With chunks of 500 (``sync_pending``): 63 ms of main-thread CPU per 1,000 sub orders against
# 81 ms with chunks of 200 and batches of 4 (fewer queries, futures and checkpoints).
FETCH_BATCH = 8


def _fetch_batch(
    client: TelnyxClient, work: list[tuple[str, list[str]]]
) -> list[tuple[SubOrderSnapshot | None, int, str]]:
    """:func:`_fetch_one` for a few sub orders, in one pool task (results in order)."""
    return [_fetch_one(client, sub_id, number_ids) for sub_id, number_ids in work]


def _run_chunks(
    pks: list[int],
    report: SyncReport,
    concurrency: int | None,
    chunk_size: int,
    run: SyncRun,
    list_countries: set[str],
) -> None:
    """Fetch chunks k+1 and k+2 while chunk k is compared and written: HTTP and SQL overlap."""
    chunks = _ascending_runs(pks, chunk_size)
    workers = max(1, concurrency or int(settings.ORDERS_SYNC_CONCURRENCY))
    client = get_client()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="orders-sync") as pool:
        # The paged lists start first; per-sub-order GETs fill the other threads.
        pending = _Listing(pool, lambda n: client.sub_number_orders_page(n, status="pending"))
        listings = {
            country: _Listing(pool, partial(_numbers_page, client, country))
            for country in sorted(list_countries)
        }

        def submit(chunk_pks: list[int]) -> _Chunk:
            chunk = _load_chunk(chunk_pks, listings)
            chunk.listings = listings
            chunk.pending = pending
            work = [(sub.telnyx_id, chunk.to_get.get(sub.id, [])) for sub in chunk.subs]
            for i in range(0, len(work), FETCH_BATCH):
                chunk.futures.append(pool.submit(_fetch_batch, client, work[i : i + FETCH_BATCH]))
            return chunk

        queue = [submit(c) for c in chunks[:1]]
        # Page 1 of each list is in by now (or soon): queue the pages it announced.
        for listing in (pending, *listings.values()):
            listing.expand()
        next_index = 1
        while queue or next_index < len(chunks):
            while next_index < len(chunks) and len(queue) < 3:
                queue.append(submit(chunks[next_index]))
                next_index += 1
            chunk = queue.pop(0)
            _apply_chunk(chunk, report)
            SyncRun.objects.filter(pk=run.pk).update(
                cursor=chunk.pks[-1],
                checked=report.checked,
                changed_rows=report.changed_rows,
                api_calls=report.api_calls,
            )


def _numbers_page(client: TelnyxClient, country: str, number: int) -> Page[Any]:
    return client.number_order_phone_numbers_page(number, country_code=country)


def _apply_chunk(chunk: _Chunk, report: SyncReport) -> None:
    """Compare and write one chunk in this thread, in primary-key order."""
    status_changed_orders: dict[int, NumberOrder] = {}
    changed: list[tuple[Any, SubOrderSnapshot]] = []
    listed = _listed_numbers(chunk, report)
    pending = _pending_once(chunk, report)
    client = get_client()
    fetched = [result for future in chunk.futures for result in future.result()]
    for sub, (snapshot, calls, error) in zip(chunk.subs, fetched, strict=True):
        report.checked += 1
        report.api_calls += calls
        if snapshot is None:
            report.errors.append(f"sub order {sub.telnyx_id}: {error}")
            continue
        try:
            snapshot.sub = pending.get(sub.telnyx_id) if pending is not None else None
            if snapshot.sub is None:
                # Not pending at Telnyx any more (or the list failed): read it by id.
                report.api_calls += 1
                snapshot.sub = client.get_sub_number_order(sub.telnyx_id)
            snapshot.numbers += _from_listing(client, chunk, sub, listed, report)
        except TelnyxError as exc:
            report.errors.append(f"sub order {sub.telnyx_id}: {exc}")
            continue
        if snapshot_differs(
            sub, snapshot, chunk.numbers.get(sub.id, {}), chunk.comments.get(sub.id, {})
        ):
            changed.append((sub, snapshot))
    # Only sub orders that changed need their parent order row: one query for the chunk.
    parents = NumberOrder.objects.in_bulk({sub.number_order_id for sub, _ in changed})
    for sub, snapshot in changed:
        order = parents[sub.number_order_id]
        changes = apply_sub_order(
            order,
            snapshot,
            ChangeSource.SYNC,
            existing=sub,
            existing_numbers=chunk.numbers.get(sub.id, {}),
            existing_comments=chunk.comments.get(sub.id, {}),
        )
        report.changed_rows += changes.rows
        report.history += changes.history
        if changes.status_changed:
            status_changed_orders[order.pk] = order
    # A sub order moved: the parent's own status follows at Telnyx; fetch it (P25).
    for order in status_changed_orders.values():
        if not order.telnyx_id:
            continue  # never placed: nothing at Telnyx to follow
        try:
            report.api_calls += 1
            report.changed_rows += apply_order(order, client.get_number_order(order.telnyx_id)).rows
        except TelnyxError as exc:
            report.errors.append(f"order {order.telnyx_id}: {exc}")


def _pending_once(chunk: _Chunk, report: SyncReport) -> dict[str, Any] | None:
    """The pending-sub-order list (waited for once per pass); None if it failed."""
    if report.pending is None and chunk.pending is not None:
        try:
            found, calls = chunk.pending.result()
        except TelnyxError as exc:
            report.errors.append(f"listing pending sub orders: {exc}")
            found, calls = {}, 1
            report.pending_failed = True
        report.api_calls += calls
        report.pending = found
    return None if report.pending_failed else report.pending


def _listed_numbers(chunk: _Chunk, report: SyncReport) -> dict[str, dict[str, Any]] | None:
    """Wait for the country listings (once per pass); None for a country whose listing failed."""
    out: dict[str, dict[str, Any]] = {}
    for country, future in chunk.listings.items():
        if country in report.listed:
            out[country] = report.listed[country]
            continue
        try:
            found, calls = future.result()
        except TelnyxError as exc:
            report.errors.append(f"listing numbers in {country}: {exc}")
            found, calls = {}, 1
        report.api_calls += calls
        report.listed[country] = found
        out[country] = found
    return out


def _from_listing(
    client: TelnyxClient,
    chunk: _Chunk,
    sub: SubNumberOrder,
    listed: dict[str, dict[str, Any]] | None,
    report: SyncReport,
) -> list[Any]:
    """This sub order's numbers from the country listings; a number missing there is GET."""
    numbers = []
    for number_id, country in chunk.listed.get(sub.id, ()):
        item = (listed or {}).get(country, {}).get(number_id)
        if item is None:
            report.api_calls += 1
            try:
                item = client.get_number_order_phone_number(number_id)
            except NotFoundError:
                continue
        numbers.append(item)
    return numbers
