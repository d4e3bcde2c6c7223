"""Benchmark of the orders sync and the orders list page.

1. Starts a sandbox, creates 1,000 pending sub orders with 5,000 numbers in it and mirrors them
   into a fresh database, then times the periodic sync (`orders.sync.sync_pending`): a first
   pass (which writes what the order responses lacked) and steady passes (nothing changed).
   The floor is the very same GETs (the URLs the portal's client sent in that pass) issued by
   a bare ``httpx.Client`` loop at the same concurrency; the ratio sync/floor should be
   <= 1.25. Steady passes and their floors alternate for ``BENCH_ROUNDS`` rounds (7), so
   neither side is favoured by a quiet or busy moment of a shared machine; every round is
   printed, and the median ratio is the figure.

   Both sides run in this process with its long-lived heap (Django) frozen out of the cycle
   collector's way, as the sync itself does (``portal.heap``): a full collection falling into
   one floor run and not another would make the ratio noise.

   Both sides see the same sandbox and the same network; the portal's client keeps its Redis
   rate limiter on (``BENCH_RATE_LIMIT``, a rate never reached: its cost counts, its pacing
   does not). The sandbox runs with a rate limit that is never reached either: switched off,
   it still announces a nominal 1,000 requests/s window and sends ``x-ratelimit-remaining: 0``
   once a second's 1,000 requests are used up, which the client rightly obeys by pausing until
   the reset (the bare loop ignores it). That would measure the sandbox's nominal window,
   not the sync.
2. Counts the SQL queries of one orders list page with 100 and with 10,000 orders: the count
   must not grow with the data.

Run: ``.venv/bin/python bench/sync.py`` (uses PostgreSQL database ``portal_o_bench``, dropped and
re-created, and Redis db 4; override with BENCH_DATABASE_URL / REDIS_URL).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_o_bench")
ORDERS = int(os.environ.get("BENCH_ORDERS", "1000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
NUMBERS_PER_ORDER = 5
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))


def recreate_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-qc", sql], check=True, capture_output=True)


def main() -> None:
    from tests.fixtures.sandbox import start_sandbox

    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    # Nothing completes by itself during the bench: every sub order stays pending.
    server = start_sandbox(
        tmp,
        extra_env={
            "SANDBOX_PROVISION_SECONDS": "10000000",
            "SANDBOX_VETTING_SECONDS": "10000000",
            # A limit never reached (see the docstring), not "0" (a nominal 1,000/s window).
            "SANDBOX_RATE_LIMIT": "1000000",
        },
    )
    try:
        recreate_database(DB_URL)
        os.environ.update(
            {
                "DATABASE_URL": DB_URL,
                "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4"),
                "PORTAL_TESTING": "1",
                "TELNYX_API_BASE": server.base_url,
                "TELNYX_API_KEY": server.api_key,
                # The shared limiter stays on, as in production, at a rate the sandbox never
                # reaches: its Redis round trips are part of the figure, its pacing is not.
                "TELNYX_RATE_LIMIT": os.environ.get("BENCH_RATE_LIMIT", "1000000"),
                "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
                "ORDERS_SYNC_CONCURRENCY": str(CONCURRENCY),
                "DJANGO_SETTINGS_MODULE": "portal.settings",
            }
        )
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        run_sync_bench(server)
        run_list_bench()
    finally:
        server.stop()


# --- 1. sync -----------------------------------------------------------------------------------


def create_sandbox_orders(server: Any) -> list[dict[str, Any]]:
    import httpx

    headers = {"Authorization": f"Bearer {server.api_key}"}
    http = httpx.Client(base_url=server.base_url, headers=headers, timeout=60)
    wanted = ORDERS * NUMBERS_PER_ORDER
    numbers: list[tuple[str, str]] = []
    for country, codes in (
        (
            "US",
            ["212", "312", "213", "415", "512", "303", "206", "305", "617", "404", "970", "602"],
        ),
        ("CA", ["416", "514", "604", "403", "613"]),
    ):
        for ndc in codes:
            params = {
                "filter[country_code]": country,
                "filter[phone_number_type]": "local",
                "filter[national_destination_code]": ndc,
                "filter[limit]": 1000,
            }
            data = http.get("/available_phone_numbers", params=params).json()["data"]
            numbers += [(country, n["phone_number"]) for n in data]
    numbers = numbers[:wanted]
    assert len(numbers) == wanted, f"the sandbox offered only {len(numbers)} numbers"
    batches = [
        numbers[i : i + NUMBERS_PER_ORDER] for i in range(0, len(numbers), NUMBERS_PER_ORDER)
    ]
    # One country per order, so each order is exactly one sub order.
    batches = [b for b in batches if len({c for c, _ in b}) == 1]

    def place(batch: list[tuple[str, str]]) -> dict[str, Any]:
        body = {
            "phone_numbers": [{"phone_number": p} for _, p in batch],
            "customer_reference": str(uuid.uuid4()),
        }
        response = http.post("/number_orders", json=body)
        response.raise_for_status()
        return response.json()["data"]

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return list(pool.map(place, batches))


def mirror(created: list[dict[str, Any]]) -> None:
    """What placing leaves behind: orders, their sub order and numbers (no deadline/locality)."""
    from orders.models import NumberOrder, OrderedNumber, PlacingState, SubNumberOrder

    orders = NumberOrder.objects.bulk_create(
        NumberOrder(
            telnyx_id=o["id"],
            customer_reference=o["customer_reference"],
            status=o["status"],
            phone_numbers_count=o["phone_numbers_count"],
            placing_state=PlacingState.PLACED,
        )
        for o in created
    )
    subs = SubNumberOrder.objects.bulk_create(
        SubNumberOrder(
            telnyx_id=o["sub_number_orders_ids"][0],
            number_order=row,
            country_code=o["phone_numbers"][0]["country_code"],
            phone_number_type="local",
            status="pending",
            phone_numbers_count=len(o["phone_numbers"]),
        )
        for o, row in zip(created, orders, strict=True)
    )
    OrderedNumber.objects.bulk_create(
        OrderedNumber(
            telnyx_id=n["id"],
            number_order=row,
            sub_order=sub,
            phone_number=n["phone_number"],
            country_code=n["country_code"],
            phone_number_type="local",
            status=n["status"],
            requirements_status=n.get("requirements_status") or "",
        )
        for o, row, sub in zip(created, orders, subs, strict=True)
        for n in o["phone_numbers"]
    )


SENT: list[Any] = []


def record_requests() -> None:
    """Note every request the portal's client sends (the floor replays exactly these URLs).

    Only a reference is kept while the sync runs; URLs are rendered afterwards."""
    from portal.telnyx import get_client

    get_client().transport.client.event_hooks["request"].append(SENT.append)


def sent_gets() -> list[str]:
    urls = [str(r.url) for r in SENT if r.method == "GET"]
    SENT.clear()
    return urls


def cpu_seconds() -> float:
    """CPU time of this process, all threads (user + system)."""
    times = os.times()
    return times.user + times.system


def decoded(url: str, body: bytes) -> int:
    """What any client does with an answer at the least: decode the JSON and read each record
    into its typed model (the portal's models; no comparison, no database)."""
    import json
    from urllib.parse import urlsplit

    from portal.telnyx.models import Comment, NumberOrderPhoneNumber, SubNumberOrder

    path = urlsplit(url).path
    model = (
        Comment
        if path.endswith("/comments")
        else SubNumberOrder
        if "/sub_number_orders" in path
        else NumberOrderPhoneNumber
    )
    data = json.loads(body)["data"]
    records = data if isinstance(data, list) else [data]
    return len([model.model_validate(record) for record in records])


def floor(server: Any, urls: list[str], decode: bool = False) -> float:
    """The same GETs through one bare httpx.Client at the same concurrency (``decode``: and
    each answer decoded into its models, an informative second floor; the target is against
    the bare one)."""
    import httpx

    from portal.heap import long_lived_frozen

    headers = {"Authorization": f"Bearer {server.api_key}"}
    # The floor gets what the sync gets: the cycle collector kept off this process's long-lived
    # heap (Django's), which a standalone httpx loop would not have; otherwise a full collection
    # that happens to fall into a floor run slows it by tens of ms and flatters the ratio.
    with httpx.Client(headers=headers, timeout=60) as http, long_lived_frozen():

        def get(url: str) -> int:
            response = http.get(url)
            if decode:
                decoded(url, response.content)
            return response.status_code

        started = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            statuses = list(pool.map(get, urls))
        elapsed = time.perf_counter() - started
    assert all(s == 200 for s in statuses), "the floor saw errors"
    return elapsed


def run_sync_bench(server: Any) -> None:
    from orders import sync
    from portal.telnyx import reset_client

    reset_client()
    started = time.perf_counter()
    created = create_sandbox_orders(server)
    mirror(created)
    numbers = sum(len(o["phone_numbers"]) for o in created)
    print(f"setup: {len(created)} pending sub orders, {numbers} numbers "
          f"({time.perf_counter() - started:.1f} s)")  # fmt: skip

    record_requests()
    started = time.perf_counter()
    first = sync.sync_pending(concurrency=CONCURRENCY)
    first_s = time.perf_counter() - started
    first_requests = sent_gets()
    floor(server, first_requests[:200])  # warm-up
    floor_first = floor(server, first_requests)

    rounds = []
    cpu = []
    decoding = []
    for _ in range(ROUNDS):
        started, cpu_started = time.perf_counter(), cpu_seconds()
        steady = sync.sync_pending(concurrency=CONCURRENCY)
        steady_s, steady_cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
        steady_requests = sent_gets()
        assert steady.changed_rows == 0 and not steady.errors, steady.errors[:3]
        cpu_started = cpu_seconds()
        rounds.append((steady_s, floor(server, steady_requests), len(steady_requests)))
        cpu.append((steady_cpu, cpu_seconds() - cpu_started))
        decoding.append(floor(server, steady_requests, decode=True))

    # The same steady pass with one GET per number instead of the country listings.
    from django.test import override_settings

    with override_settings(ORDERS_SYNC_LIST_NUMBERS=False):
        started = time.perf_counter()
        by_id = sync.sync_pending(concurrency=CONCURRENCY)
        by_id_s = time.perf_counter() - started
    by_id_requests = sent_gets()
    assert by_id.changed_rows == 0 and not by_id.errors, by_id.errors[:3]
    floor_by_id = floor(server, by_id_requests)

    print(f"concurrency: {CONCURRENCY}, client rate limit: {os.environ['TELNYX_RATE_LIMIT']} "
          f"req/s (0 = off), log level: {os.environ['LOG_LEVEL']}")  # fmt: skip
    print(f"first pass:  {first.checked} sub orders, {len(first_requests)} GETs, "
          f"{first.changed_rows} rows written: {first_s:.2f} s vs floor {floor_first:.2f} s "
          f"-> ratio {first_s / floor_first:.2f}")  # fmt: skip
    for i, (sync_s, floor_s, gets) in enumerate(rounds, 1):
        print(f"steady pass {i}: {steady.checked} sub orders, {gets} GETs, 0 rows written: "
              f"{sync_s:.2f} s vs floor {floor_s:.2f} s "
              f"-> ratio {sync_s / floor_s:.2f}")  # fmt: skip
    for i, (sync_cpu, floor_cpu) in enumerate(cpu, 1):
        print(f"steady pass {i}, CPU of this process: sync {sync_cpu:.2f} s, floor "
              f"{floor_cpu:.2f} s (a side whose CPU is close to its wall time is bound by "
              f"this process, not by the sandbox)")  # fmt: skip
    ratios = sorted(s / f for s, f, _ in rounds)
    print(f"steady pass ratio: median {statistics.median(ratios):.2f} "
          f"(best {ratios[0]:.2f}, worst {ratios[-1]:.2f}) (target <= 1.25)")  # fmt: skip
    by_decoding = sorted(s / d for (s, _, _), d in zip(rounds, decoding, strict=True))
    print(f"for information, against a floor that also decodes each answer into its models "
          f"({', '.join(f'{d:.2f} s' for d in decoding)}): median ratio "
          f"{statistics.median(by_decoding):.2f}")  # fmt: skip
    print(f"steady pass, one GET per number: {len(by_id_requests)} GETs: {by_id_s:.2f} s "
          f"vs floor {floor_by_id:.2f} s -> ratio {by_id_s / floor_by_id:.2f}")  # fmt: skip


# --- 2. list page ------------------------------------------------------------------------------


def add_orders(total: int) -> None:
    from orders.models import NumberOrder, OrderedNumber, PlacingState, SubNumberOrder

    missing = total - NumberOrder.objects.count()
    if missing <= 0:
        return
    orders = NumberOrder.objects.bulk_create(
        NumberOrder(
            telnyx_id=str(uuid.uuid4()),
            customer_reference=str(uuid.uuid4()),
            status="pending" if i % 3 else "success",
            placing_state=PlacingState.PLACED,
            phone_numbers_count=1,
        )
        for i in range(missing)
    )
    subs = SubNumberOrder.objects.bulk_create(
        SubNumberOrder(
            telnyx_id=str(uuid.uuid4()),
            number_order=o,
            country_code="DE" if i % 2 else "US",
            phone_number_type="local",
            status=o.status,
        )
        for i, o in enumerate(orders)
    )
    OrderedNumber.objects.bulk_create(
        OrderedNumber(
            telnyx_id=str(uuid.uuid4()),
            number_order=s.number_order,
            sub_order=s,
            phone_number=f"+1555{i:07d}",
            requirements_status="requirement-info-pending",
        )
        for i, s in enumerate(subs)
    )


def count_list_queries(client: Any, query: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/orders/" + query)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


def run_list_bench() -> None:
    from django.test.utils import setup_test_environment

    from orders.models import NumberOrder
    from portal.roles import MANAGERS
    from tests.fixtures.people import make_person, signed_in_client

    setup_test_environment()
    client = signed_in_client(make_person(f"bench-{uuid.uuid4().hex[:6]}", MANAGERS))
    NumberOrder.objects.all().delete()
    queries = ("", "?status=pending&country_code=DE&sort=deadline&page=2")
    results = {}
    for total in (100, 10_000):
        add_orders(total)
        count_list_queries(client, "")  # session warm-up
        results[total] = [count_list_queries(client, q) for q in queries]
    for label, index in (("plain list", 0), ("filtered + sorted, page 2", 1)):
        small, large = results[100][index], results[10_000][index]
        verdict = "constant" if small == large else "GROWS"
        print(f"SQL queries per list page ({label}): {small} at 100 orders, "
              f"{large} at 10,000 orders -> {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
