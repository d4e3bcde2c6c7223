"""Print how long ``GET /healthz`` takes when everything is up and when no worker answers.

The "up" figure is what a load balancer pays per probe; the "no worker" figure is bounded by
``HEALTH_CHECK_TIMEOUT`` (the Celery ping waits that long for replies). Runs in-process with
Django's test client against the configured database and Redis, starting one real Celery worker
for the "up" rounds.

Usage: ``DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/healthz.py
[--requests 50]`` (the database must be migrated).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("PORTAL_TESTING", "1")
os.environ.setdefault("CELERY_QUEUE_PREFIX", f"bench-{uuid.uuid4().hex[:8]}")


def measure(client, n: int) -> tuple[list[float], int]:
    timings, status = [], 0
    for _ in range(n):
        start = time.perf_counter()
        status = client.get("/healthz").status_code
        timings.append((time.perf_counter() - start) * 1000)
    return timings, status


def report(label: str, timings: list[float], status: int) -> None:
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"{label:<10} status {status}  median {statistics.median(timings):7.1f} ms"
        f"  p95 {p95:7.1f} ms  max {timings[-1]:7.1f} ms  (n={len(timings)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment

    from portal.celery import app

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client()
    hostname = f"bench-{uuid.uuid4().hex[:8]}@localhost"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-P", "prefork", "-c", "1",
         "--without-gossip", "--without-mingle", "-n", hostname, "-Q",
         ",".join(settings.CELERY_QUEUES.values()), "--loglevel", "WARNING"],
        cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    try:
        started = time.perf_counter()
        while not app.control.ping(destination=[hostname], timeout=0.5):
            if time.perf_counter() - started > 60:
                raise SystemExit("worker did not start")
        print(f"worker ready after {time.perf_counter() - started:.1f} s")
        report("up", *measure(client, args.requests))
    finally:
        worker.terminate()
        worker.wait(30)
    report("no worker", *measure(client, max(5, args.requests // 10)))


if __name__ == "__main__":
    main()
