"""Benchmark of the dashboard ("the picture") at 10,000 orders and 50,000 numbers.

Fills a fresh PostgreSQL database (``portal_dash_bench``, dropped and re-created) with 10,000
orders over the last 12 months, one sub order each (8 countries), 5 numbers per order in every
status and vetting state, two requirement values per number, activation history, admin
comments with rejection reasons (recorded as the mirror records them), deadlines over the next
month and ~12,000 submissions; then folds the tallies' ledger and vacuums, as beat and
autovacuum would within minutes. Then serves the portal with gunicorn (one sync worker, a real
server process) and times, over a new connection per request, a trivial signed-in page
(``REFERENCE``, the password change form: the home page lists open orders since the work
queue) and the dashboard with its default range (the whole year: every row counts),
alternating ``BENCH_ROUNDS`` rounds of ``BENCH_REQUESTS`` requests each, and prints the load
average (the machine is shared). Prints the medians and their ratio (goal: <= 3), once with
the figures computed on every view (``DASHBOARD_CACHE_SECONDS=0``) and once as served (cached
in Redis for five minutes and re-computed by beat before they expire).

Also counts the dashboard's SQL queries with 10,000 and with 20,000 orders' worth of data:
the count must not grow.

Run: ``.venv/bin/python bench/dashboard.py`` (override BENCH_DATABASE_URL, REDIS_URL,
BENCH_ORDERS, BENCH_ROUNDS, BENCH_REQUESTS).
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.prod_check import free_port  # noqa: E402

DB_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_dash_bench"
)
ORDERS = int(os.environ.get("BENCH_ORDERS", "10000"))
NUMBERS_PER_ORDER = 5
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "10"))
COUNTRIES = ["DE", "FR", "GB", "US", "NL", "ES", "IT", "SE"]
VETTING = [
    ("approved", "success"),
    ("approved", "success"),
    ("requirement-info-under-review", "pending"),
    ("requirement-info-pending", "pending"),
    ("requirement-info-exception", "pending"),
    ("", "cancelled"),
]
REQUIREMENT_STATES = ["approved", "approved", "declined", "awaiting-value"]
REQUIREMENT_IDS = [str(uuid.UUID(int=i)) for i in range(1, 7)]
# The trivial signed-in page the dashboard is compared with: the whole middleware stack (session,
# second factor, permissions) and the base layout, but no figures. Not the home page: since the
# merge of the work queue it lists the open orders, so it grows with the data like the dashboard.
REFERENCE = "/accounts/password_change/"
REASONS = [
    "the value was not accepted",
    "the document is not acceptable",
    "the address field locality could not be verified",
    "the value does not match the expected format",
]


def recreate_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-qc", sql], check=True, capture_output=True)


def fill(orders: int, seed: int) -> None:
    """Add ``orders`` orders with their sub orders, numbers, history, comments, submissions."""
    from django.utils import timezone

    from compliance.models import RequirementType, Submission
    from orders.models import (
        CommentRejection,
        NumberOrder,
        NumberStatusChange,
        OrderedNumber,
        SubNumberOrder,
        SubOrderComment,
    )
    from orders.rejections import rejection_rows

    rng = random.Random(seed)
    now = timezone.now()
    for i, rid in enumerate(REQUIREMENT_IDS):
        RequirementType.objects.get_or_create(telnyx_id=rid, defaults={"name": f"Requirement {i}"})
    batch = 1000
    for start in range(0, orders, batch):
        count = min(batch, orders - start)
        created = [now - timedelta(days=rng.uniform(0, 360)) for _ in range(count)]
        order_rows = NumberOrder.objects.bulk_create(
            NumberOrder(
                telnyx_id=uuid.uuid4().hex,
                customer_reference=uuid.uuid4().hex,
                status="pending",
                placing_state="placed",
                phone_numbers_count=NUMBERS_PER_ORDER,
                created_at=at,
                placed_at=at,
            )
            for at in created
        )
        subs = SubNumberOrder.objects.bulk_create(
            SubNumberOrder(
                telnyx_id=uuid.uuid4().hex,
                number_order=order,
                country_code=rng.choice(COUNTRIES),
                phone_number_type="local",
                status="pending",
                requirements_met=rng.random() < 0.6,
                phone_numbers_count=NUMBERS_PER_ORDER,
            )
            for order in order_rows
        )
        numbers = []
        for sub in subs:
            for _ in range(NUMBERS_PER_ORDER):
                vetting, status = rng.choice(VETTING)
                reqs = [
                    {
                        "requirement_id": rid,
                        "field_type": "textual",
                        "status": rng.choice(REQUIREMENT_STATES),
                    }
                    for rid in rng.sample(REQUIREMENT_IDS, 2)
                ]
                deadline = (
                    now + timedelta(hours=rng.uniform(1, 30 * 24)) if status == "pending" else None
                )
                numbers.append(
                    OrderedNumber(
                        telnyx_id=uuid.uuid4().hex,
                        sub_order=sub,
                        number_order=sub.number_order,
                        phone_number=f"+{rng.randrange(10**10, 10**11)}",
                        country_code=sub.country_code,
                        phone_number_type="local",
                        status=status,
                        requirements_status=vetting,
                        regulatory_requirements=reqs,
                        deadline=deadline,
                    )
                )
        numbers = OrderedNumber.objects.bulk_create(numbers)
        NumberStatusChange.objects.bulk_create(
            NumberStatusChange(
                number=n,
                field="status",
                old_value="pending",
                new_value="success",
                at=n.number_order.placed_at + timedelta(hours=rng.uniform(1, 200)),
                source="sync",
            )
            for n in numbers
            if n.status == "success"
        )
        comments = []
        for sub in subs:
            if rng.random() < 0.3:
                lines = "\n".join(
                    f"- +1555{rng.randrange(10**7):07d} - Requirement {rng.randrange(6)}: "
                    f"{rng.choice(REASONS)}"
                    for _ in range(rng.randint(1, 3))
                )
                comments.append(
                    SubOrderComment(
                        telnyx_id=uuid.uuid4().hex,
                        sub_order=sub,
                        body=f"Some requirement values were declined:\n{lines}\nPlease fix.",
                        commenter_type="admin",
                    )
                )
        SubOrderComment.objects.bulk_create(comments)
        # The reasons they list, as the mirror records them for each new comment.
        CommentRejection.objects.bulk_create(rejection_rows((c.id, c.body) for c in comments))
        firsts = Submission.objects.bulk_create(
            Submission(
                sub_order=sub,
                status="submitted",
                created_at=sub.number_order.created_at + timedelta(hours=2),
            )
            for sub in subs
        )
        Submission.objects.bulk_create(
            Submission(
                sub_order=s.sub_order,
                previous=s,
                status="submitted",
                created_at=s.created_at + timedelta(days=2),
            )
            for s in firsts
            if rng.random() < 0.2
        )


def signed_in_cookie() -> str:
    """A session cookie for a manager who passed the second factor (as after a real login)."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.roles import MANAGERS

    user = get_user_model().objects.create_user("bench-maria", "m@example.test", "x" * 20)
    user.groups.add(Group.objects.get(name=MANAGERS))
    device = TOTPDevice.objects.create(user=user, name="portal", confirmed=True)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def time_page(base: str, path: str, cookie: str, n: int) -> list[float]:
    """``n`` GETs, each over a new connection (``Connection: close``)."""
    import httpx

    timings = []
    for _ in range(n):
        start = time.perf_counter()
        with httpx.Client(timeout=60) as client:
            response = client.get(base + path, headers={"Cookie": cookie, "Connection": "close"})
        timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
    return timings


def count_queries(cookie: str) -> int:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DASHBOARD_CACHE_SECONDS = 0  # count the aggregate queries, not a cache hit
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie.split("=", 1)[1]
    client.get("/compliance/picture/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/compliance/picture/").status_code == 200
    return len(queries.captured_queries)


def serve_and_time(cookie: str, env: dict[str, str]) -> float:
    """Start gunicorn with ``env``, time both pages in alternating rounds; the median ratio."""
    label = "uncached" if env.get("DASHBOARD_CACHE_SECONDS") == "0" else "cached"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", "1", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.1)
        time_page(base, REFERENCE, cookie, 3)  # warm up both pages (and, cached, the figures)
        time_page(base, "/compliance/picture/", cookie, 2)
        ratios = []
        for round_ in range(1, ROUNDS + 1):
            home = statistics.median(time_page(base, REFERENCE, cookie, REQUESTS))
            picture = statistics.median(time_page(base, "/compliance/picture/", cookie, REQUESTS))
            ratios.append(picture / home)
            print(
                f"{label} round {round_}: home {home:6.1f} ms  dashboard {picture:6.1f} ms  "
                f"ratio {picture / home:4.2f}"
            )
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{label}: load average {load}")
        return statistics.median(ratios)
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    recreate_database(DB_URL)
    env = {
        "DATABASE_URL": DB_URL,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8"),
        "PORTAL_TESTING": "1",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    fill(ORDERS, seed=1)
    from orders.tallies import compact

    compact()  # as beat does every five minutes: the triggers' ledger folded per day
    with connection.cursor() as cursor:
        # As autovacuum does after a bulk load: statistics, and the visibility map that lets
        # PostgreSQL answer from an index alone (index-only scans).
        cursor.execute("VACUUM ANALYZE")
    print(
        f"filled {ORDERS} orders / {ORDERS * NUMBERS_PER_ORDER} numbers "
        f"in {time.perf_counter() - started:.0f} s"
    )
    cookie = signed_in_cookie()
    cold = serve_and_time(cookie, {**env, "DASHBOARD_CACHE_SECONDS": "0"})
    warm = serve_and_time(cookie, env)
    print(f"median ratio dashboard / trivial page, computed on every view: {cold:.2f}")
    print(f"median ratio dashboard / trivial page, as served (cached figures): {warm:.2f}")
    print("goal: <= 3")
    small = count_queries(cookie)
    fill(ORDERS, seed=2)
    large = count_queries(cookie)
    print(f"dashboard SQL queries: {small} with {ORDERS} orders, {large} with {2 * ORDERS}")


if __name__ == "__main__":
    main()
