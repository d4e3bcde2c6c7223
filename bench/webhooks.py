"""Benchmark of the Telnyx webhook intake under the production server (gunicorn).

Starts gunicorn (deploy/gunicorn.conf.py, sync workers) with production settings (DEBUG off,
behind a proxy header) against a fresh PostgreSQL database and a private redis-server, then
POSTs pre-signed webhook events to ``/webhooks/telnyx`` from ``BENCH_CLIENTS`` concurrent
connections (default: 2 per web process):

- genuine: every event signed with the key whose public half the portal holds; each must be
  answered 200 and stored once (rows in the database = events sent);
- floor: the same bodies with a forged signature, answered 401 after the same parsing and the
  same Ed25519 verification, without storing or publishing anything: the server's and the
  framework's cost of a webhook request, which the intake cannot go below.

Genuine and floor runs alternate for ``BENCH_ROUNDS`` rounds (3) so a busy moment of the shared
machine does not favour either side; the median events/s of each is the figure, and the ratio
genuine/floor is printed side by side with p50/p99 latency. The goal (README "Performance"):
ratio >= 0.5, >= 500 genuine events/s per web process, p99 < 50 ms, nothing lost.

The load generator runs in this process (threads, one connection per request: gunicorn's sync
workers close each connection), on the same 2 cores as the server: with 2 web processes the
machine, not the portal, is the ceiling (see README "Scale-out").

Run: ``.venv/bin/python bench/webhooks.py [--web-processes 1 2] [--events 2000]``
(PostgreSQL database ``portal_bench_webhooks``, dropped and re-created; override with
BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.prod_check import Processes, free_port, wait_for  # noqa: E402

DB_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench_webhooks"
)
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
BIN = Path(sys.executable).parent


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def stored_events(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM orders_webhookevent").fetchone()
    return int(row[0]) if row else 0


def event_body() -> bytes:
    envelope = {
        "data": {
            "record_type": "event",
            "event_type": "number_order.complete",
            "id": str(uuid.uuid4()),
            "occurred_at": "2026-11-27T10:00:00.000000Z",
            "payload": {
                "id": str(uuid.uuid4()),
                "record_type": "number_order",
                "status": "success",
                "customer_reference": "",
                "phone_numbers": [],
            },
        },
        "meta": {"attempt": 1, "delivered_to": "https://portal.example.com/webhooks/telnyx"},
    }
    return json.dumps(envelope).encode()


def signed(bodies: list[bytes], seed: str) -> list[tuple[bytes, dict[str, str]]]:
    from portal.telnyx.webhooks import sign_webhook

    now = int(time.time())
    return [(body, sign_webhook(body, seed, now)) for body in bodies]


def post_all(
    port: int, requests: list[tuple[bytes, dict[str, str]]], clients: int
) -> tuple[float, list[float], dict[int, int]]:
    """POST every request from ``clients`` threads; wall seconds, latencies (ms), statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    chunks = [requests[i::clients] for i in range(clients)]

    def run(chunk: list[tuple[bytes, dict[str, str]]]) -> None:
        mine, seen = [], {}
        for body, headers in chunk:
            start = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(
                "POST",
                "/webhooks/telnyx",
                body=body,
                headers={
                    **headers,
                    "Content-Type": "application/json",
                    "Host": "127.0.0.1",
                    "X-Forwarded-Proto": "https",
                },
            )
            status = conn.getresponse()
            status.read()
            conn.close()
            mine.append((time.perf_counter() - start) * 1000)
            seen[status.status] = seen.get(status.status, 0) + 1
        with lock:
            latencies.extend(mine)
            for code, count in seen.items():
                statuses[code] = statuses.get(code, 0) + count

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, chunks))
    return time.perf_counter() - started, latencies, statuses


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def bench(web_processes: int, events: int, clients: int, workdir: Path) -> dict[str, float]:
    recreate_database(DB_URL)
    procs = Processes(workdir)
    redis_port, web_port = free_port(), free_port()
    seed = base64.b64encode(secrets.token_bytes(32)).decode()
    forger = base64.b64encode(secrets.token_bytes(32)).decode()
    from cryptography.fernet import Fernet

    from portal.telnyx.webhooks import public_key_for_seed

    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    env = {
        **keep,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_PROXY_SSL_HEADER_ENABLED": "true",
        "DATABASE_URL": DB_URL,
        "DATABASE_CONN_MAX_AGE": "60",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CELERY_QUEUE_PREFIX": "bench",
        "TELNYX_API_KEY": "KEYBENCH0123456789",
        "TELNYX_PUBLIC_KEY": public_key_for_seed(seed),
        "DOCUMENT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SEARCH_INDEX_KEY": secrets.token_urlsafe(32),
        "DOCUMENT_SCANNING_OFF": "true",
        "STATIC_ROOT": str(workdir / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{web_port}",
        "WEB_CONCURRENCY": str(web_processes),
        "GUNICORN_ACCESS_LOG": "",  # the access log would be part of both sides equally
        "LOG_LEVEL": "WARNING",
    }
    procs.start(
        "redis",
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        env,
    )  # fmt: skip
    migrate = subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr
    procs.start("web", [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "portal.wsgi"], env)
    try:

        def up() -> bool:
            procs.assert_running()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", web_port, timeout=2)
                conn.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
                conn.getresponse().read()
                return True
            except OSError:
                return False

        wait_for("gunicorn", up, timeout=60)
        # Warm every worker (imports, database connection) before timing anything.
        post_all(web_port, signed([event_body() for _ in range(50 * web_processes)], seed), clients)
        genuine_runs, floor_runs, p99s, floor_p99s, p50s, lost = [], [], [], [], [], 0
        for _ in range(ROUNDS):
            bodies = [event_body() for _ in range(events)]
            genuine = signed(bodies, seed)
            forged = signed(bodies, forger)
            before = stored_events(DB_URL)
            seconds, latencies, statuses = post_all(web_port, genuine, clients)
            stored = stored_events(DB_URL) - before
            lost += events - stored
            assert statuses == {200: events}, statuses
            genuine_runs.append(events / seconds)
            p99s.append(percentile(latencies, 0.99))
            p50s.append(percentile(latencies, 0.50))
            seconds, latencies, statuses = post_all(web_port, forged, clients)
            assert statuses == {401: events}, statuses
            floor_runs.append(events / seconds)
            floor_p99s.append(percentile(latencies, 0.99))
            print(
                f"  round: genuine {genuine_runs[-1]:7.0f} ev/s (p99 {p99s[-1]:5.1f} ms, "
                f"stored {stored}/{events})  floor {floor_runs[-1]:7.0f} req/s "
                f"(p99 {floor_p99s[-1]:5.1f} ms)",
                flush=True,
            )
    finally:
        procs.stop_all()
    return {
        "genuine": statistics.median(genuine_runs),
        "floor": statistics.median(floor_runs),
        "p50": statistics.median(p50s),
        "p99": statistics.median(p99s),
        "floor_p99": statistics.median(floor_p99s),
        "lost": lost,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--web-processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--events", type=int, default=2000, help="events per run")
    parser.add_argument("--clients", type=int, default=0, help="default: 2 per web process")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("PORTAL_TESTING", "1")  # this process only signs; no settings needed
    results = {}
    for n in args.web_processes:
        clients = args.clients or 2 * n
        print(f"gunicorn, {n} web process(es), {clients} concurrent clients, {args.events} events")
        results[n] = bench(n, args.events, clients, Path(tempfile.mkdtemp(prefix="bench-wh-")))
    print()
    print("web processes  genuine ev/s  floor req/s  ratio  per process  p50 ms  p99 ms  lost")
    for n, r in results.items():
        ratio = r["genuine"] / r["floor"]
        print(
            f"{n:>13}  {r['genuine']:>12.0f}  {r['floor']:>11.0f}  {ratio:>5.2f}"
            f"  {r['genuine'] / n:>11.0f}  {r['p50']:>6.1f}  {r['p99']:>6.1f}  {r['lost']:>4}"
        )
    one = results.get(1)
    if one:
        verdict = (
            one["genuine"] / one["floor"] >= 0.5
            and one["genuine"] >= 500
            and one["p99"] < 50
            and one["lost"] == 0
        )
        print(
            f"goal (1 process: ratio >= 0.5, >= 500 ev/s, p99 < 50 ms, nothing lost): "
            f"{'MET' if verdict else 'NOT MET'}"
        )


if __name__ == "__main__":
    main()
