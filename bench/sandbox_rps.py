"""Requests per second the Telnyx sandbox serves for simple GETs on one core.

Starts ``manage.py runsandbox`` pinned to one CPU (when the OS allows), creates an order, then
hammers ``GET /v2/number_orders/{id}`` and ``GET /v2/requirement_types/{id}`` from client
processes on another CPU over keep-alive connections, and prints the figure. Target: >= 500/s.

    .venv/bin/python bench/sandbox_rps.py [--seconds 5] [--clients 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = "KEYSANDBOX_LOCAL_DEVELOPMENT"
HEADERS = {"Authorization": f"Bearer {KEY}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


def call(conn: http.client.HTTPConnection, method: str, path: str, body: dict | None = None):
    payload = json.dumps(body).encode() if body is not None else None
    headers = {**HEADERS, "Content-Type": "application/json"} if payload else HEADERS
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, json.loads(data) if data else None


def worker(port: int, paths: list[str], seconds: float, cpu: int, out: multiprocessing.Queue):
    pin(cpu)
    conn = http.client.HTTPConnection("127.0.0.1", port)
    done = errors = 0
    stop = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < stop:
        conn.request("GET", paths[i % len(paths)], headers=HEADERS)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            errors += 1
        done += 1
        i += 1
    out.put((done, errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="sandbox-bench-")
    env = {
        **os.environ,
        "PORTAL_TESTING": "1",
        "SANDBOX_RATE_LIMIT": "0",
        "SANDBOX_FAULT_RATE": "0",
        "SANDBOX_LATENCY_MS": "0",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "runsandbox",
            "--port",
            str(port),
            "--db",
            f"{tmp}/bench.sqlite3",
            "--reset",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: pin(0),
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                call(conn, "GET", "/_sandbox/clock")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        _, found = call(
            conn,
            "GET",
            "/v2/available_phone_numbers?filter%5Bcountry_code%5D=DE&filter%5Blimit%5D=3",
        )
        _, order = call(
            conn,
            "POST",
            "/v2/number_orders",
            {"phone_numbers": [{"phone_number": n["phone_number"]} for n in found["data"]]},
        )
        _, types = call(conn, "GET", "/v2/requirement_types")
        paths = [
            f"/v2/number_orders/{order['data']['id']}",
            f"/v2/requirement_types/{types['data'][0]['id']}",
        ]
        queue: multiprocessing.Queue = multiprocessing.Queue()
        cpus = os.cpu_count() or 1
        procs = [
            multiprocessing.Process(
                target=worker, args=(port, paths, args.seconds, 1 if cpus > 1 else 0, queue)
            )
            for _ in range(args.clients)
        ]
        started = time.perf_counter()
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
        elapsed = time.perf_counter() - started
        for p in procs:
            p.join()
        total = sum(r[0] for r in results)
        errors = sum(r[1] for r in results)
        rps = total / elapsed
        print(
            f"sandbox simple GETs: {total} requests in {elapsed:.2f} s with {args.clients} "
            f"keep-alive clients, {errors} errors"
        )
        print(f"sandbox requests/second (one core): {rps:.0f}  (target >= 500)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
