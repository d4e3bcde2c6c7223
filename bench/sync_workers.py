"""Scale-out of the periodic sync: 1 vs 2 Celery worker processes on the ``sync`` queue.

Sets up a sandbox with ``BENCH_ORDERS`` (1,000) pending sub orders (5 numbers each) mirrored into a
fresh database, then for 1 and for 2 worker processes (``scripts/worker.sh sync``, concurrency 1
each, as the production recipe runs them) publishes two ``sync_pending_orders`` together (beat's
run plus a manual one) and times until both have finished.
Each setting runs twice: with the Telnyx client's Redis rate limiter at production's 20 requests/s
(``TELNYX_RATE_LIMIT``), shared by every worker on every host, and with it out of reach (the
machine's own ceiling). Printed per run: wall time, passes that ran and passes that were skipped
(one pass at a time: a PostgreSQL advisory lock), sub orders checked and Telnyx calls per second.

Run: ``.venv/bin/python bench/sync_workers.py`` (PostgreSQL database ``portal_bench_sync_workers``,
dropped and re-created; a private redis-server).
"""

from __future__ import annotations

import ast
import os
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_ORDERS", "1000")
DB_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench_sync_workers"
)

from bench.webhooks import recreate_database  # noqa: E402
from scripts.prod_check import Processes, free_port, wait_for  # noqa: E402

TRIGGERS = 2  # beat's run and a manual one, published together
SUCCEEDED = re.compile(r"sync_pending_orders\[[^\]]+\] succeeded in ([\d.]+)s: (\{.*\})")


def main() -> None:
    from tests.fixtures.sandbox import start_sandbox

    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-workers-"))
    server = start_sandbox(
        tmp,
        extra_env={
            "SANDBOX_PROVISION_SECONDS": "10000000",
            "SANDBOX_VETTING_SECONDS": "10000000",
            "SANDBOX_RATE_LIMIT": "1000000",
        },
    )
    procs = Processes(tmp)
    redis_port = free_port()
    procs.start(
        "redis",
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        dict(os.environ),
    )  # fmt: skip
    try:
        recreate_database(DB_URL)
        env = {
            "DATABASE_URL": DB_URL,
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "CELERY_QUEUE_PREFIX": "bench",
            "PORTAL_TESTING": "1",
            "TELNYX_API_BASE": server.base_url,
            "TELNYX_API_KEY": server.api_key,
            "LOG_LEVEL": "INFO",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            # This process's own warm-up pass only; each worker gets the rate under test.
            "TELNYX_RATE_LIMIT": "1000000",
            "WORKER_CONCURRENCY": "1",
            "CELERY_BIN": str(Path(sys.executable).parent / "celery"),
        }
        os.environ.update({**env, "LOG_LEVEL": "WARNING"})  # workers log INFO ("succeeded")
        import django

        django.setup()
        from django.core.management import call_command

        from bench.sync import create_sandbox_orders, mirror

        call_command("migrate", verbosity=0)
        created = create_sandbox_orders(server)
        mirror(created)
        from orders import sync

        sync.sync_pending()  # the first pass writes what the order answers lacked; then steady
        print(f"{len(created)} pending sub orders, {5 * len(created)} numbers; steady passes")
        results = []
        for rate in ("20", "1000000"):
            for workers in (1, 2):
                results.append((rate, workers, run(procs, tmp, env, rate, workers)))
        print()
        print("rate limit  workers  wall s  passes run/skipped  sub orders/s  Telnyx calls/s")
        for rate, workers, (wall, ran, skipped, checked, calls) in results:
            label = "20/s" if rate == "20" else "off"
            print(
                f"{label:>10}  {workers:>7}  {wall:>6.1f}  {ran:>10}/{skipped:<7}  "
                f"{checked / wall:>12.0f}  {calls / wall:>14.0f}"
            )
    finally:
        procs.stop_all()
        server.stop()


def run(
    procs: Processes, tmp: Path, env: dict[str, str], rate: str, workers: int
) -> tuple[float, int, int, int, int]:
    from orders.tasks import sync_pending_orders

    names = [f"sync-{rate}-{workers}-{i}-{secrets.token_hex(3)}" for i in range(workers)]
    worker_env = {**os.environ, **env, "TELNYX_RATE_LIMIT": rate, "LOG_LEVEL": "INFO"}
    for name in names:
        procs.start(name, ["scripts/worker.sh", "sync", "-n", f"{name}@%h"], worker_env)
    try:
        wait_for("workers", lambda: all("ready." in procs.log(n) for n in names), timeout=60)
        started = time.perf_counter()
        for _ in range(TRIGGERS):
            sync_pending_orders.delay()

        def finished() -> list[tuple[float, dict]]:
            procs.assert_running()
            done = [m for n in names for m in SUCCEEDED.findall(procs.log(n))]
            return done if len(done) == TRIGGERS else []

        done = wait_for("the sync passes", finished, timeout=600, every=0.2)
        wall = time.perf_counter() - started
    finally:
        for name in names:
            procs._stop(procs.children.pop(name))
    reports = [ast.literal_eval(report) for _, report in done]
    ran = [r for r in reports if "skipped" not in r]
    print(
        f"rate limit {rate}/s, {workers} worker process(es): {wall:.1f} s, "
        f"{len(ran)} pass(es) ran, {len(reports) - len(ran)} skipped",
        flush=True,
    )
    return (
        wall,
        len(ran),
        len(reports) - len(ran),
        sum(r["checked"] for r in ran),
        sum(r["api_calls"] for r in ran),
    )


if __name__ == "__main__":
    main()
