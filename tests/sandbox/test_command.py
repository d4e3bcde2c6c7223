"""``manage.py runsandbox``: state survives a restart, ``--reset`` empties it, ``--advance``
moves a running sandbox's clock; plus the control API's forced number state."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from tests.fixtures.sandbox import API_KEY, ROOT, _free_port, start_sandbox
from tests.sandbox.conftest import Api

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def test_a_restart_loses_nothing_and_reset_starts_empty(tmp_path: Path) -> None:
    server = start_sandbox(tmp_path)
    try:
        http = httpx.Client(base_url=server.base_url, headers=AUTH)
        found = http.get(
            "/available_phone_numbers", params={"filter[country_code]": "US", "filter[limit]": 1}
        ).json()["data"]
        order = http.post(
            "/number_orders", json={"phone_numbers": [{"phone_number": found[0]["phone_number"]}]}
        ).json()["data"]
        httpx.post(
            f"{server.root_url}/_sandbox/clock", json={"advance_seconds": 3600}, headers=AUTH
        )
    finally:
        server.stop()
    port = int(server.root_url.rsplit(":", 1)[1])
    again = start_sandbox(tmp_path, seed_b64=server.signing_seed, port=port, reset=False)
    try:
        http = httpx.Client(base_url=again.base_url, headers=AUTH)
        kept = http.get(f"/number_orders/{order['id']}")
        assert kept.status_code == 200
        assert kept.json()["data"]["phone_numbers"][0]["phone_number"] == found[0]["phone_number"]
        clock = httpx.get(f"{again.root_url}/_sandbox/clock", headers=AUTH).json()
        assert clock["offset_seconds"] == 3600
        advanced = subprocess.run(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "runsandbox",
                "--port",
                str(port),
                "--advance",
                "73h",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "PORTAL_TESTING": "1"},
        )
        assert advanced.returncode == 0, advanced.stderr
        assert "advanced" in advanced.stdout
        clock = httpx.get(f"{again.root_url}/_sandbox/clock", headers=AUTH).json()
        assert clock["offset_seconds"] == 3600 + 73 * 3600
    finally:
        again.stop()
    fresh = start_sandbox(tmp_path, port=port, reset=True)
    try:
        gone = httpx.get(f"{fresh.base_url}/number_orders/{order['id']}", headers=AUTH)
        assert gone.status_code == 404
    finally:
        fresh.stop()


def test_tests_can_force_a_number_state(api: Api, sandbox) -> None:
    order = api.order(api.search("FR", "local", 1))
    number_id = order["phone_numbers"][0]["id"]
    forced = sandbox.force_number(
        number_id, requirements_status="requirement-info-exception", deadline="2030-01-01T00:00:00Z"
    )
    assert forced["requirements_status"] == "requirement-info-exception"
    assert api.number(number_id)["deadline"].startswith("2030-01-01T00:00:00")


def test_hold_delays_the_answer(api: Api, sandbox) -> None:
    import time

    sandbox.script(method="GET", path="/v2/number_orders", action="hold", seconds=0.5)
    started = time.monotonic()
    assert api.get("/number_orders").status_code == 200
    assert time.monotonic() - started >= 0.5
    started = time.monotonic()
    api.get("/number_orders")
    assert time.monotonic() - started < 0.5


def production_environment(**extra: str) -> dict[str, str]:
    """What an operator's production shell holds: debug off, real keys, not a test run."""
    env = {k: v for k, v in os.environ.items() if k not in {"PORTAL_TESTING", "DJANGO_DEBUG"}}
    env.update(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DOCUMENT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SEARCH_INDEX_KEY": "search-" + "k3y" * 12,
            **extra,
        }
    )
    env.pop("SANDBOX_ALLOW_PRODUCTION", None)
    env.update(extra)
    return env


def test_the_sandbox_refuses_to_serve_in_production_unless_told(tmp_path: Path) -> None:
    port = _free_port()
    command = [
        sys.executable, str(ROOT / "manage.py"), "runsandbox", "--port", str(port),
        "--db", str(tmp_path / "sandbox.sqlite3"),
    ]  # fmt: skip
    refused = subprocess.run(
        command, cwd=ROOT, env=production_environment(), capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0
    assert "refusing to run the Telnyx sandbox with DJANGO_DEBUG=false" in refused.stderr
    assert not (tmp_path / "sandbox.sqlite3").exists()

    # A training instance says so explicitly, and then it serves.
    for told in ({"SANDBOX_ALLOW_PRODUCTION": "true"}, {}):
        argv = command if told else [*command, "--allow-production"]
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=production_environment(**told),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            answered = None
            while answered is None and time.monotonic() < deadline:
                assert process.poll() is None, "the sandbox exited although told to run"
                try:
                    answered = httpx.get(
                        f"http://127.0.0.1:{port}/_sandbox/clock", headers=AUTH, timeout=1
                    )
                except httpx.TransportError:
                    time.sleep(0.1)
            assert answered is not None and answered.status_code == 200
        finally:
            process.terminate()
            process.wait(10)
