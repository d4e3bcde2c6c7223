"""The deploy gate: production settings pass ``check --deploy``, weakened ones fail (P4, P40)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from portal.checks import telnyx_public_key_problem

ROOT = Path(__file__).resolve().parents[2]


def public_key_b64() -> str:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


@cache
def collected_static() -> str:
    """A STATIC_ROOT filled by the release step's collectstatic (once per test process)."""
    root = tempfile.mkdtemp(prefix="portal-static-")
    result = manage("collectstatic", "--noinput", env=production_env(STATIC_ROOT=root))
    assert result.returncode == 0, result.stderr
    return root


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PORTAL_", "PYTEST", "TELNYX_", "SESSION_", "AXES_"))
    }
    env.update(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "prod-" + "k3y" * 20,
            "ALLOWED_HOSTS": "portal.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://portal.example.com",
            "TELNYX_API_KEY": "KEY0123456789ABCDEF",
            "TELNYX_API_BASE": "https://api.telnyx.com/v2",
            "TELNYX_PUBLIC_KEY": public_key_b64(),
            "DOCUMENT_ENCRYPTION_KEYS": base64.urlsafe_b64encode(b"0" * 32).decode(),
            "SEARCH_INDEX_KEY": "search-" + "k3y" * 12,
            "CLAMAV_ADDRESS": "tcp://clamav.internal:3310",
        }
    )
    if "STATIC_ROOT" not in overrides:
        env["STATIC_ROOT"] = collected_static()
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def deploy_check(**overrides: str) -> subprocess.CompletedProcess[str]:
    return manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(**overrides))


def test_p40_production_settings_pass_the_deploy_gate():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_p40_a_production_start_without_collectstatic_fails_the_deploy_gate(tmp_path):
    result = deploy_check(STATIC_ROOT=str(tmp_path / "never-collected"))
    assert result.returncode != 0
    assert "portal.E050" in result.stderr and "collectstatic" in result.stderr


def test_p40_no_virus_scanner_is_a_deploy_warning_until_an_operator_acknowledges_it():
    shown = manage("check", "--deploy", env=production_env(CLAMAV_ADDRESS=""))
    assert shown.returncode == 0  # a warning: shown, but only the gate's fail level stops
    assert "portal.W033" in shown.stderr and "DOCUMENT_SCANNING_OFF" in shown.stderr
    assert deploy_check(CLAMAV_ADDRESS="").returncode != 0
    acknowledged = deploy_check(CLAMAV_ADDRESS="", DOCUMENT_SCANNING_OFF="true")
    assert acknowledged.returncode == 0, acknowledged.stdout + acknowledged.stderr
    assert "portal.W033" not in acknowledged.stderr


def test_p4_a_missing_or_truncated_webhook_key_fails_the_deploy_gate():
    truncated = base64.b64encode(b"k" * 31).decode()
    for value, expected in [("", "is not set"), (truncated, "31 bytes")]:
        result = deploy_check(TELNYX_PUBLIC_KEY=value)
        assert result.returncode != 0
        assert "portal.E001" in result.stderr and expected in result.stderr


def test_p40_weakened_sessions_throttling_and_otp_fail_the_deploy_gate():
    result = deploy_check(
        SESSION_COOKIE_AGE=str(14 * 24 * 3600),
        PORTAL_REQUIRE_OTP="false",
        CSRF_TRUSTED_ORIGINS="http://portal.example.com",
        TELNYX_API_KEY="KEYSANDBOX_LOCAL_DEVELOPMENT",
    )
    assert result.returncode != 0
    for check_id in ["portal.W010", "portal.W012", "portal.W013", "portal.E002"]:
        assert check_id in result.stderr, check_id


def test_production_refuses_to_start_without_a_real_secret_key():
    for secret in [None, "django-insecure-" + "x" * 50, "short"]:
        env = production_env()
        env.pop("DJANGO_SECRET_KEY")
        if secret:
            env["DJANGO_SECRET_KEY"] = secret
        result = manage("check", env=env)
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY" in result.stderr


def test_makemigrations_runs_without_secrets_and_serving_commands_still_refuse():
    """Writing migration files signs nothing and serves nothing: it needs no production
    secrets (a developer or a pre-commit hook runs it bare). Commands that can serve, sign or
    send keep refusing."""
    bare = production_env(
        DJANGO_SECRET_KEY=None, DOCUMENT_ENCRYPTION_KEYS=None, SEARCH_INDEX_KEY=None
    )
    result = manage("makemigrations", "--check", "--dry-run", env=bare)
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    for command in (["check"], ["migrate", "--plan"], ["runsandbox", "--print-public-key"]):
        refused = manage(*command, env=bare)
        assert refused.returncode != 0, command
        assert "DJANGO_SECRET_KEY" in refused.stderr, command


def test_debug_mode_needs_no_second_factor_and_production_does():
    code = "from django.conf import settings; print(settings.PORTAL_REQUIRE_OTP)"
    for debug, expected in [("true", "False"), ("false", "True")]:
        result = manage("shell", "-c", code, env=production_env(DJANGO_DEBUG=debug))
        assert result.stdout.strip().splitlines()[-1] == expected, result.stderr


def test_an_unknown_boolean_is_a_configuration_error_not_false():
    result = manage("check", env=production_env(DJANGO_DEBUG="ture"))
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "not set"),
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"x" * 31).decode(), "31 bytes"),
        (base64.b64encode(b"x" * 33).decode(), "33 bytes"),
    ],
)
def test_p4_malformed_webhook_keys_are_named(value, problem):
    assert problem in (telnyx_public_key_problem(value) or "")


def test_p4_a_real_ed25519_key_passes():
    assert telnyx_public_key_problem(public_key_b64()) is None


def test_production_refuses_to_start_without_a_search_index_key():
    for value, message in [(None, "SEARCH_INDEX_KEY is required"), ("short", "at least 32")]:
        result = manage("check", env=production_env(SEARCH_INDEX_KEY=value))
        assert result.returncode != 0
        assert message in result.stderr
