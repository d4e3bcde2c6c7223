"""Print what the Telnyx client costs per request compared with a bare httpx loop.

Both loops run against the same sandbox (started here on a free port, faults and rate limits
off) and fetch the same order with ``GET /v2/number_orders/{id}``: the bare loop sends the
request and decodes the JSON; the client also parses the typed model, logs one line, applies
the retry machinery and, in the third variant, takes a token from the Redis-shared rate limiter
(at a rate high enough never to wait). Rounds are interleaved so no loop is favoured by running
first; the best round is the steadiest figure on a shared machine, the median is printed too.

Usage: ``.venv/bin/python bench/client_overhead.py [--requests 2000] [--rounds 5]``
(``REDIS_URL`` picks the Redis database used by the limiter variant).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.telnyx.client import TelnyxClient  # noqa: E402
from tests.fixtures.sandbox import start_sandbox  # noqa: E402


def timed(loop, n: int) -> float:
    started = time.perf_counter()
    loop(n)
    return (time.perf_counter() - started) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per loop and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    # The client logs one INFO line per request; emit them (to nowhere) as production would.
    logging.basicConfig(level=logging.INFO, handlers=[logging.NullHandler()])
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

    with tempfile.TemporaryDirectory() as tmp:
        server = start_sandbox(Path(tmp))
        try:
            headers = {"Authorization": f"Bearer {server.api_key}"}
            # A limit far above what one loop can reach: otherwise the sandbox's nominal
            # 1000 req/s window reports "0 remaining" and the limited client (rightly) pauses.
            httpx.post(
                f"{server.root_url}/_sandbox/config",
                json={"rate_limit": 1_000_000},
                headers=headers,
                timeout=10,
            ).raise_for_status()
            bare = httpx.Client(base_url=server.base_url + "/", headers=headers, timeout=30)
            search = bare.get(
                "available_phone_numbers",
                params={"filter[country_code]": "US", "filter[limit]": "1"},
            ).json()["data"][0]["phone_number"]
            order = bare.post(
                "number_orders",
                json={"phone_numbers": [{"phone_number": search}], "customer_reference": "bench"},
            ).json()["data"]
            path = f"number_orders/{order['id']}"

            plain = TelnyxClient(server.base_url, server.api_key)
            limited = TelnyxClient(
                server.base_url,
                server.api_key,
                rate_limit=1_000_000,
                redis_url=redis_url,
                rate_limit_name=f"bench-{uuid.uuid4().hex}",
            )

            def bare_loop(n: int) -> None:
                for _ in range(n):
                    response = bare.get(path)
                    response.raise_for_status()
                    response.json()

            def client_loop(n: int) -> None:
                for _ in range(n):
                    plain.get_number_order(order["id"])

            def limited_loop(n: int) -> None:
                for _ in range(n):
                    limited.get_number_order(order["id"])

            for loop in (bare_loop, client_loop, limited_loop):
                loop(100)  # warm up connections, caches and the sandbox
            results: dict[str, list[float]] = {"bare": [], "client": [], "limited": []}
            for _ in range(args.rounds):
                results["bare"].append(timed(bare_loop, args.requests))
                results["client"].append(timed(client_loop, args.requests))
                results["limited"].append(timed(limited_loop, args.requests))
            plain.close()
            limited.close()
            bare.close()
        finally:
            server.stop()

    print(f"requests per loop: {args.requests} x {args.rounds} interleaved rounds")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (the machine is shared)")
    for label, pick in (("best round", min), ("median round", statistics.median)):
        bare_s = pick(results["bare"])
        client_s = pick(results["client"])
        limited_s = pick(results["limited"])
        print(f"{label}:")
        print(f"  bare httpx loop:                 {bare_s * 1e6:8.0f} us/request")
        print(
            f"  TelnyxClient (no rate limiter):  {client_s * 1e6:8.0f} us/request  "
            f"overhead {(client_s - bare_s) * 1e6:+.0f} us  ratio {client_s / bare_s:.2f}"
        )
        print(
            f"  TelnyxClient (Redis limiter):    {limited_s * 1e6:8.0f} us/request  "
            f"overhead {(limited_s - bare_s) * 1e6:+.0f} us  ratio {limited_s / bare_s:.2f}"
        )


if __name__ == "__main__":
    main()
