"""Peak memory growth of a real web process while it streams CSV exports of 5,000 and 50,000
rows (orders and numbers lists): flat means the 50,000-row export costs no more than 5,000.

Starts ``manage.py runserver --noreload`` as a subprocess, signs a bench user in (a session
with the second factor passed, written to the database like a real login), and downloads each
export over HTTP, reading the body as it arrives. Before each download the server's peak RSS is
reset (``/proc/PID/clear_refs``, value 5) and its RSS read; afterwards ``VmHWM`` gives the peak,
and a sampler reading ``VmRSS`` every 2 ms confirms it. Growth = peak - RSS before.

The rows are created once (two placers: one with 5,000 orders, one with 50,000; one sub order
and one number each) and reused by later runs; each export is filtered by its placer.

Usage: ``DATABASE_URL=postgres://.../portal_bench REDIS_URL=redis://... .venv/bin/python
bench/exports.py`` (the database is migrated first; use a database of its own).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("PORTAL_TESTING", "1")

from bench.memory import Sampler, status_kb  # noqa: E402
from scripts.prod_check import free_port  # noqa: E402

SIZES = {"bench-export-5k": 5_000, "bench-export-50k": 50_000}


def ensure_rows() -> dict[str, int]:
    """The two placers and their orders, sub orders and numbers (created once)."""
    from django.contrib.auth import get_user_model

    from orders.models import NumberOrder, OrderedNumber, SubNumberOrder

    users = {}
    for username, count in SIZES.items():
        user, _ = get_user_model().objects.get_or_create(username=username)
        users[username] = user.pk
        have = NumberOrder.objects.filter(placed_by=user).count()
        if have == count:
            continue
        NumberOrder.objects.filter(placed_by=user).delete()
        started = time.perf_counter()
        for start in range(0, count, 5_000):
            n = min(5_000, count - start)
            orders = NumberOrder.objects.bulk_create(
                NumberOrder(
                    telnyx_id=str(uuid.uuid4()),
                    customer_reference=str(uuid.uuid4()),
                    status="pending",
                    phone_numbers_count=1,
                    placed_by=user,
                )
                for _ in range(n)
            )
            subs = SubNumberOrder.objects.bulk_create(
                SubNumberOrder(
                    telnyx_id=str(uuid.uuid4()),
                    number_order=o,
                    country_code="DE",
                    phone_number_type="local",
                    status="pending",
                )
                for o in orders
            )
            OrderedNumber.objects.bulk_create(
                OrderedNumber(
                    telnyx_id=str(uuid.uuid4()),
                    sub_order=s,
                    number_order_id=s.number_order_id,
                    phone_number=f"+4930{user.pk % 10}{start + i:07d}",
                    country_code="DE",
                    phone_number_type="local",
                    status="pending",
                    requirements_status="requirement-info-pending",
                )
                for i, s in enumerate(subs)
            )
        print(f"created {count} orders for {username} in {time.perf_counter() - started:.1f} s")
    return users


def signed_in_cookies() -> dict[str, str]:
    """A bench user with the staff role, signed in with the second factor passed."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.roles import STAFF

    user = get_user_model().objects.create_user(f"bench-{uuid.uuid4().hex[:8]}")
    user.groups.add(Group.objects.get_or_create(name=STAFF)[0])
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return {settings.SESSION_COOKIE_NAME: session.session_key or ""}


@contextlib.contextmanager
def server(port: int) -> Iterator[int]:
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if proc.poll() is not None:
                raise RuntimeError("the server exited at start")
            time.sleep(0.05)
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def download(url: str, cookies: dict[str, str], pid: int) -> tuple[int, float, float, float]:
    """Rows, seconds, peak growth (MB) and first-byte delay (s) of one streamed export."""
    import httpx

    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = status_kb(pid, "VmRSS")
    lines = 0
    first = 0.0
    start = time.perf_counter()
    with (
        Sampler(pid) as sampler,
        httpx.stream("GET", url, cookies=cookies, timeout=600) as response,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes():
            if not first:
                first = time.perf_counter() - start
            lines += chunk.count(b"\r\n")
    elapsed = time.perf_counter() - start
    peak = max(status_kb(pid, "VmHWM"), sampler.peak)
    return lines - 1, elapsed, (peak - before) / 1024, first


def main() -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True
    )
    import django

    django.setup()
    users = ensure_rows()
    cookies = signed_in_cookies()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    print("server: runserver --noreload (pid measured via /proc)")
    with server(port) as pid:
        warm_up = f"{base}/orders/numbers/export.csv?placed_by={users['bench-export-5k']}"
        download(warm_up, cookies, pid)
        for path in ("/orders/numbers/export.csv", "/orders/export.csv"):
            for username in SIZES:
                rows, seconds, growth, first = download(
                    f"{base}{path}?placed_by={users[username]}", cookies, pid
                )
                print(
                    f"{path:<27} {rows:>6} rows in {seconds:5.2f} s"
                    f" ({rows / seconds:7.0f} rows/s, first byte {first * 1000:4.0f} ms)"
                    f"  peak RSS growth +{growth:5.1f} MB"
                )


if __name__ == "__main__":
    main()
