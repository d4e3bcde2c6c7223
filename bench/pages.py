"""The team's daily pages at 100 and at 10,000 orders: SQL queries and time against a trivial page.

Goal (issue 10, "Fast as the data grow"): with 10,000 orders and 50,000 numbers each page runs
the same number of SQL queries as with 100 orders, and answers in at most 3x the time of a
trivial signed-in page on the same server.

Two databases are built once and kept (``BENCH_REBUILD=1`` builds them again):
``<name>_small`` with 100 orders and ``<name>_big`` with 10,000, filled by
``bench/dashboard.fill`` (one sub order of 5 numbers per order over 8 countries, every status
and vetting state, declined requirements, deadlines over the next 30 days on the pending
numbers, activation history, admin comments, ~1.2 submissions per sub order), then given what
the sync and the team add: placers and owners spread over five colleagues, each order's next
deadline and needs-action flag, and one big order (5 sub orders of 10 numbers, comments, history,
submissions) whose detail page is measured. Then ``VACUUM ANALYZE``, as autovacuum would.

Each database is served by gunicorn (one sync worker, a real server process). A manager signs
in through the real forms (password, then the TOTP code), and the pages in ``PAGES`` are timed
over a new connection per request, in rounds of turns (each turn one request to every page in
turn, so a busy moment of a shared machine weighs on all of them); each page's time is the
median over the rounds of the round's median, and its ratio the median over the rounds of
page / trivial page.
The queries are counted in a separate process on the same database and session (the second of
two requests, so caches filled by the first do not count against a page).

Run: ``.venv/bin/python bench/pages.py`` (override BENCH_DATABASE_URL, the name the two
databases are derived from; REDIS_URL; BENCH_ROUNDS, BENCH_REQUESTS; BENCH_REBUILD=1).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dashboard import fill, recreate_database, time_page  # noqa: E402
from scripts.prod_check import free_port  # noqa: E402

# The measured pages: (name, path). ``{big_order}`` is the big order's detail page. The first
# is the baseline: a signed-in page with a form and the navigation, and no data of its own.
PAGES: list[tuple[str, str]] = [
    ("trivial page (password change)", "/accounts/password_change/"),
    ("work queue", "/"),
    ("orders list", "/orders/"),
    ("order detail (50 numbers)", "{big_order}"),
    ("deadline board", "/compliance/deadlines/"),
    ("inbox", "/compliance/inbox/"),
]
BASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_pagesbench"
)
SIZES = {"small": 100, "big": 10_000}
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "7"))
USERNAME = "bench-pages-maria"
PASSWORD = "bench-pages-password-1"  # noqa: S105 (a bench database's own user)
TOTP_KEY = "3132333435363738393031323334353637383930"  # fixed: the signing-in process needs it
BIG_ORDER = "bench-pages-big-order"
COLLEAGUES = ["alice", "bob", "carla", "dmitri", "erin"]
GOAL = 3.0


def database_url(size: str) -> str:
    return f"{BASE_URL}_{size}"


def environment(size: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(size),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"),
        "PORTAL_TESTING": "1",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "CACHE_KEY_PREFIX": f"bench-pages-{size}",
    }


# --- building (in a child process with DATABASE_URL set) ----------------------------------------


def add_team() -> None:
    """Five colleagues who placed the orders and own two sub orders in five, and the manager."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    from portal.roles import STAFF

    user_model = get_user_model()
    ids = []
    for name in COLLEAGUES:
        user, _ = user_model.objects.get_or_create(
            username=name, defaults={"email": f"{name}@example.test"}
        )
        user.groups.add(Group.objects.get(name=STAFF))
        ids.append(user.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_numberorder SET placed_by_id = (%s::bigint[])[1 + id %% %s]",
            [ids, len(ids)],
        )
        cursor.execute(
            "UPDATE orders_subnumberorder SET assignee_id = CASE WHEN id %% 5 < 2"
            " THEN (%s::bigint[])[1 + id %% %s] END",
            [ids, len(ids)],
        )


def denormalise() -> None:
    """What the sync keeps on each order and sub order: next deadline, needs action."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE orders_subnumberorder s SET next_deadline = d.m FROM (
                 SELECT sub_order_id, min(deadline) m FROM orders_orderednumber
                 WHERE deadline IS NOT NULL GROUP BY sub_order_id) d
               WHERE d.sub_order_id = s.id"""
        )
        # Vetting states changed at some point after placing (the sync stamps each change).
        cursor.execute(
            """UPDATE orders_orderednumber n
               SET requirements_status_changed_at = o.placed_at + (n.id % 97) * interval '1 hour'
               FROM orders_numberorder o WHERE o.id = n.number_order_id"""
        )
        cursor.execute(
            """UPDATE orders_numberorder o SET next_deadline = d.m, needs_action = d.a FROM (
                 SELECT number_order_id, min(deadline) m, bool_or(status = 'pending' AND
                   requirements_status IN ('requirement-info-pending',
                                           'requirement-info-exception')) a
                 FROM orders_orderednumber GROUP BY number_order_id) d
               WHERE d.number_order_id = o.id"""
        )


def add_big_order() -> None:
    """One order of 5 sub orders (DE, FR, GB, NL, ES) with 10 numbers each, in mixed states."""
    from django.utils import timezone

    from compliance.models import Submission
    from orders.models import (
        NumberOrder,
        NumberStatusChange,
        OrderedNumber,
        SubNumberOrder,
        SubOrderComment,
    )

    now = timezone.now()
    order = NumberOrder.objects.create(
        telnyx_id=uuid.uuid4().hex,
        customer_reference=BIG_ORDER,
        status="pending",
        placing_state="placed",
        phone_numbers_count=50,
        created_at=now - timedelta(days=3),
        placed_at=now - timedelta(days=3),
        next_deadline=now + timedelta(hours=20),
        needs_action=True,
    )
    vetting = ["requirement-info-pending", "requirement-info-exception", "approved"]
    for s, country in enumerate(["DE", "FR", "GB", "NL", "ES"]):
        sub = SubNumberOrder.objects.create(
            telnyx_id=uuid.uuid4().hex,
            number_order=order,
            country_code=country,
            phone_number_type="local",
            status="pending",
            phone_numbers_count=10,
            next_deadline=now + timedelta(hours=20 + s),
        )
        numbers = OrderedNumber.objects.bulk_create(
            OrderedNumber(
                telnyx_id=uuid.uuid4().hex,
                sub_order=sub,
                number_order=order,
                phone_number=f"+49301{s}{i:06d}",
                country_code=country,
                phone_number_type="local",
                status="pending" if i % 4 else "success",
                requirements_status=vetting[i % 3],
                regulatory_requirements=[
                    {"requirement_id": str(uuid.UUID(int=1)), "status": "declined"},
                    {"requirement_id": str(uuid.UUID(int=2)), "status": "awaiting-value"},
                ],
                deadline=now + timedelta(hours=20 + s + i) if i % 4 else None,
            )
            for i in range(10)
        )
        NumberStatusChange.objects.bulk_create(
            NumberStatusChange(
                number=n,
                field="status",
                old_value="pending",
                new_value="success",
                at=now - timedelta(hours=i),
                source="sync",
            )
            for i, n in enumerate(numbers)
        )
        SubOrderComment.objects.bulk_create(
            SubOrderComment(
                telnyx_id=uuid.uuid4().hex,
                sub_order=sub,
                body=f"Some requirement values were declined (comment {c}).",
                commenter_type="admin",
            )
            for c in range(3)
        )
        Submission.objects.create(sub_order=sub, status="submitted")


def add_manager() -> None:
    """The manager who signs in: known password, a TOTP device with a known key."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.roles import MANAGERS

    user, _ = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"email": "maria@example.test"}
    )
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=MANAGERS))
    TOTPDevice.objects.update_or_create(
        user=user, name="bench", defaults={"key": TOTP_KEY, "confirmed": True}
    )


def build(size: str) -> None:
    """Build this size's database unless it is there (``BENCH_REBUILD=1``: build it again)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from orders.models import NumberOrder

    orders = SIZES[size]
    if os.environ.get("BENCH_REBUILD") != "1":
        with contextlib.suppress(Exception):
            if NumberOrder.objects.filter(customer_reference=BIG_ORDER).exists():
                call_command("migrate", verbosity=0)
                add_manager()
                return
    connection.close()
    recreate_database(database_url(size))
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    fill(orders, seed=1)
    add_team()
    add_big_order()
    denormalise()
    add_manager()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does after bulk writes
    print(
        f"{size}: built {orders} orders / {orders * 5 + 50} numbers "
        f"in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )


def big_order_path() -> str:
    from orders.models import NumberOrder

    return NumberOrder.objects.get(customer_reference=BIG_ORDER).get_absolute_url()


# --- counting (in a child process with DATABASE_URL set) ----------------------------------------


def count_queries(cookie: str) -> dict[str, int]:
    """Queries of the second request to each page, with the session signed in over HTTP."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    name, value = cookie.split("=", 1)
    client.cookies[name] = value
    counts = {}
    paths = {"big_order": big_order_path()}
    for page, path in PAGES:
        url = path.format(**paths)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        counts[page] = len(queries.captured_queries)
    return counts


# --- serving, signing in, timing (this process) -------------------------------------------------


@contextlib.contextmanager
def gunicorn(size: str) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", "1", "--log-level", "warning"],
        cwd=ROOT, env=environment(size), start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not found:
        raise SystemExit("no CSRF token in the form")
    return found.group(1)


def sign_in(base: str) -> str:
    """Password, then the TOTP code, through the real forms; the session cookie."""
    import httpx
    from django_otp.oath import totp

    # The session and CSRF cookies are "Secure" outside DEBUG: carried by hand over plain HTTP.
    cookies: dict[str, str] = {}

    def send(method: str, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        with httpx.Client(base_url=base, timeout=60) as client:
            response = client.request(method, path, data=data, headers={"Cookie": header})
        cookies.update(response.cookies)
        return response

    form = send("GET", "/accounts/login/")
    answer = send(
        "POST",
        "/accounts/login/",
        {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": _csrf(form.text)},
    )
    if answer.status_code != 302:  # on to the home page, which asks for the code first
        raise SystemExit(f"password refused: {answer.status_code}")
    for _ in range(3):  # a code is accepted once: if this one was used, wait for the next
        otp = send("GET", "/accounts/otp/")
        code = f"{totp(bytes.fromhex(TOTP_KEY)):06d}"
        answer = send(
            "POST", "/accounts/otp/", {"token": code, "csrfmiddlewaretoken": _csrf(otp.text)}
        )
        if answer.status_code == 302:
            return f"sessionid={cookies['sessionid']}"
        time.sleep(31 - time.time() % 30)
    raise SystemExit("the TOTP code was refused")


def child(command: str, size: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, __file__, command, size, *args],
        cwd=ROOT, env=environment(size), check=True, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    return result.stdout.strip().splitlines()[-1]


def time_pages(base: str, paths: list[str], cookie: str) -> tuple[list[float], list[float]]:
    """Rounds of ``REQUESTS`` turns, each turn one request to every page in order (so a busy
    moment of the machine falls on all pages alike); per page the median over the rounds of
    the round's median time (ms), and the median over the rounds of page / trivial page."""
    for path in paths:
        time_page(base, path, cookie, 2)  # warm up
    times: list[list[float]] = [[] for _ in paths]
    ratios: list[list[float]] = [[] for _ in paths]
    for round_ in range(1, ROUNDS + 1):
        samples: list[list[float]] = [[] for _ in paths]
        for _ in range(REQUESTS):
            for i, path in enumerate(paths):
                samples[i] += time_page(base, path, cookie, 1)
        medians = [statistics.median(sample) for sample in samples]
        for i, median in enumerate(medians):
            times[i].append(median)
            ratios[i].append(median / medians[0])
        print(f"round {round_}: " + "  ".join(f"{m:6.1f}" for m in medians) + " ms", flush=True)
    return [statistics.median(t) for t in times], [statistics.median(r) for r in ratios]


def main() -> None:
    counts = {}
    timed: tuple[list[float], list[float]] = ([], [])
    for size in SIZES:
        child("build", size)
        paths = [p.format(big_order=child("big-order", size)) for _, p in PAGES]
        with gunicorn(size) as base:
            cookie = sign_in(base)
            counts[size] = json.loads(child("count", size, cookie))
            if size == "big":
                timed = time_pages(base, paths, cookie)
    load = os.getloadavg()
    print(f"\n{'page':34} {'queries @100':>12} {'@10,000':>8} {'median ms':>10} {'ratio':>6}")
    for (page, _), ms, ratio in zip(PAGES, *timed, strict=True):
        print(
            f"{page:34} {counts['small'][page]:12d} {counts['big'][page]:8d} {ms:10.1f} "
            f"{ratio:6.2f}"
        )
    print(
        f"10,000 orders / 50,000 numbers; {ROUNDS} rounds of {REQUESTS} turns over the pages; "
        f"goal: same queries, ratio <= {GOAL:g}; load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        command, size = sys.argv[1], sys.argv[2]
        os.environ.update(environment(size))
        if command == "build":
            build(size)
            print("built")
        elif command == "big-order":
            import django

            django.setup()
            print(big_order_path())
        elif command == "count":
            print(json.dumps(count_queries(sys.argv[3])))
    else:
        main()
