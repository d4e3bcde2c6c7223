"""`make prod-check` in the suite: the production stack (gunicorn, DEBUG off, PostgreSQL, Redis,
workers, beat, the sandbox behind a proxy header) signs in with TOTP, places and vets an order,
and sees no 5xx and no traceback (scripts/prod_check.py; about 30 s)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration]


def test_p40_the_production_stack_serves_a_whole_order_without_a_5xx_or_traceback():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "prod_check.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "prod-check: PASS" in result.stdout
    assert "no 5xx, no traceback" in result.stdout
