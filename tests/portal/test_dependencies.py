"""Supply chain (P47): what `make install` installs is pinned and hash-checked, the lock
follows pyproject.toml, and the advisory check never reports a pass it did not earn."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
PROD_LOCK = ROOT / "requirements-prod.lock"
AUDIT = ROOT / "scripts" / "audit-deps.py"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(lock: Path = LOCK) -> dict[str, tuple[str, list[str]]]:
    """name -> (pinned version, hashes) from requirements.lock (or another lock)."""
    out: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", lock.read_text()):
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", block)
        if match:
            out[canonical(match[1])] = (
                match[2],
                re.findall(r"--hash=sha256:([0-9a-f]{64})", block),
            )
    return out


def test_p47_every_declared_dependency_is_pinned_in_the_lock_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins = locked()
    problems = []
    for spec in declared:
        requirement = Requirement(spec)
        pin = pins.get(canonical(requirement.name))
        if pin is None:
            problems.append(f"{requirement.name} is not in requirements.lock (run `make lock`)")
        elif not requirement.specifier.contains(pin[0], prereleases=True):
            problems.append(f"{requirement.name}=={pin[0]} is outside {requirement.specifier}")
    assert problems == []


def test_p47_every_pin_carries_a_hash_and_make_installs_with_require_hashes():
    pins = locked()
    assert len(pins) > 50  # the whole tree, transitive dependencies included
    assert [name for name, (_version, hashes) in pins.items() if not hashes] == []
    recipe = (ROOT / "Makefile").read_text().split("$(STAMP): requirements.lock", 1)[1]
    recipe = recipe.split("\n\n", 1)[0]
    installs = [line for line in recipe.splitlines() if "pip install" in line]
    assert installs and all("--require-hashes" in line for line in installs), installs


def test_p47_the_production_lock_holds_the_runtime_set_only_at_the_same_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {canonical(Requirement(spec).name) for spec in project["dependencies"]}
    dev = project["optional-dependencies"]["dev"]
    dev_only = {canonical(Requirement(spec).name) for spec in dev}
    production, development = locked(PROD_LOCK), locked()
    assert runtime - set(production) == set(), "run `make lock`"
    # The sandbox's server, make run's process runner and the test tools stay out of production.
    assert {"honcho", "starlette", "uvicorn", "pyyaml", "pytest"} <= dev_only
    assert set(production) & (dev_only - runtime) == set()
    assert "gunicorn" in production  # the production web server (README "Production")
    assert [n for n, pin in production.items() if development.get(n, ("",))[0] != pin[0]] == []
    assert [name for name, (_version, hashes) in production.items() if not hashes] == []


def test_p47_the_portal_imports_no_development_tool_outside_the_sandbox():
    dev_modules = ("starlette", "uvicorn", "yaml", "honcho", "pytest", "playwright")
    offenders = []
    for package in ("portal", "orders", "compliance"):
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith("portal/sandbox/") or relative.endswith("/runsandbox.py"):
                continue  # development only; runsandbox imports the sandbox lazily
            for match in re.finditer(r"^\s*(?:from|import)\s+(\w+)", path.read_text(), re.M):
                if match[1] in dev_modules:
                    offenders.append(f"{relative}: {match[0].strip()}")
    assert offenders == []


class FakeOSV(BaseHTTPRequestHandler):
    vulnerable: set[str] = set()
    seen: list[dict] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeOSV.seen.append(body)
        results = [
            {"vulns": [{"id": "GHSA-test-0001"}]}
            if q["package"]["name"] in FakeOSV.vulnerable
            else {}
            for q in body["queries"]
        ]
        payload = json.dumps({"results": results}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def osv() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), FakeOSV)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeOSV.vulnerable, FakeOSV.seen = set(), []
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1/querybatch"
    finally:
        server.shutdown()


def audit(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(AUDIT)], env=env, capture_output=True, text=True, timeout=60
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_p47_an_audit_that_cannot_reach_osv_says_not_run_never_pass():
    closed = {"OSV_URL": f"http://127.0.0.1:{closed_port()}/v1/querybatch"}
    result = audit(closed)
    assert "dependency audit: NOT RUN" in result.stdout
    assert "PASS" not in result.stdout
    assert result.returncode == 0
    assert audit({**closed, "AUDIT_REQUIRED": "1"}).returncode == 1


def test_p47_the_audit_checks_every_pin_and_fails_on_an_advisory(osv):
    FakeOSV.vulnerable = {"django"}
    result = audit({"OSV_URL": osv})
    assert result.returncode == 1
    assert "dependency audit: FAIL" in result.stdout
    assert re.search(r"django==\S+: GHSA-test-0001", result.stdout)
    (query,) = FakeOSV.seen
    assert {q["package"]["name"] for q in query["queries"]} == set(locked())

    FakeOSV.vulnerable = set()
    clean = audit({"OSV_URL": osv})
    assert clean.returncode == 0
    assert "dependency audit: PASS" in clean.stdout
