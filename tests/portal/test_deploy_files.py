"""The files an operator copies (deploy/, README "Production") point at what the repository
ships: gunicorn accepts its configuration, every unit's command exists, and the proxy sets the
headers the portal's settings trust."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))


def test_gunicorn_accepts_the_shipped_configuration():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--check-config", "--print-config",
         "-c", "deploy/gunicorn.conf.py", "portal.wsgi"],
        cwd=ROOT,
        env={**os.environ, "PORTAL_TESTING": "1", "WEB_CONCURRENCY": "3",
             "GUNICORN_BIND": "127.0.0.1:8123"},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.search(r"^workers\s+= 3$", result.stdout, re.M)
    assert re.search(r"^bind\s+= \['127.0.0.1:8123'\]$", result.stdout, re.M)


def test_every_unit_runs_a_command_the_repository_ships_and_reads_the_environment_file():
    assert {u.name for u in UNITS} >= {
        "portal-release.service", "portal-web.service", "portal-worker@.service",
        "portal-beat.service",
    }  # fmt: skip
    for unit in UNITS:
        assert "\nEnvironmentFile=/etc/portal/portal.env\n" in unit.read_text(), unit.name
        for line in unit.read_text().splitlines():
            if line.startswith("ExecStart="):
                program = line.split("=", 1)[1].split()[0]
                assert program.startswith("/opt/portal/"), line
                shipped = program.removeprefix("/opt/portal/")
                assert shipped.startswith(".venv/") or (ROOT / shipped).is_file(), line
                for arg in line.split()[1:]:
                    if arg.startswith(("deploy/", "scripts/")):
                        assert (ROOT / arg).is_file(), line


def test_the_proxy_example_sets_the_headers_the_settings_trust():
    conf = (ROOT / "deploy" / "nginx" / "portal.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf  # replaced, not appended
    env = (ROOT / "deploy" / "systemd" / "portal.env.example").read_text()
    assert "SECURE_PROXY_SSL_HEADER_ENABLED=true" in env
    assert "AXES_IPWARE_PROXY_COUNT=1" in env
    assert "DJANGO_DEBUG=false" in env
