"""Telnyx's official SDK is a test tool, never part of the portal: the portal's code does not
import it (its own client in portal/telnyx/ talks to Telnyx), it is a development dependency
only, and every SDK client anyone builds here has retries off (P11)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PORTAL_PACKAGES = ("portal", "orders", "compliance")
SKIP_DIRS = {".venv", ".venv-lock", "var", "node_modules", "__pycache__", ".git"}
SDK_CLIENTS = {"Telnyx", "AsyncTelnyx"}


def python_files(*roots: Path) -> list[Path]:
    found = []
    for root in roots:
        for path in root.rglob("*.py"):
            if not SKIP_DIRS.intersection(path.relative_to(root).parts):
                found.append(path)
    return found


def sdk_imports(source: str) -> list[int]:
    """Lines importing the top-level ``telnyx`` package (``portal.telnyx`` is ours, not it)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            if any(a.name == "telnyx" or a.name.startswith("telnyx.") for a in node.names):
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0 and (module == "telnyx" or module.startswith("telnyx.")):
                lines.append(node.lineno)
        elif isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            first = node.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and str(first.value).split(".")[0] == "telnyx"
            ):
                lines.append(node.lineno)
    return lines


def retrying_sdk_clients(source: str) -> list[int]:
    """Lines building an SDK client (or re-optioning one) without ``max_retries=0``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        retries = next((k.value for k in node.keywords if k.arg == "max_retries"), None)
        off = isinstance(retries, ast.Constant) and retries.value == 0
        reoptioned = name == "with_options" and retries is not None
        if (name in SDK_CLIENTS or reoptioned) and not off:
            lines.append(node.lineno)
    return lines


def sdk_client_calls(source: str) -> int:
    return sum(
        1
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) in SDK_CLIENTS
    )


def test_portal_code_never_imports_the_telnyx_sdk() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in python_files(*(ROOT / p for p in PORTAL_PACKAGES))
        for line in sdk_imports(path.read_text())
    ]
    assert offenders == [], "the portal must not import Telnyx's SDK (tests only)"


def test_the_scan_sees_every_way_of_importing_the_sdk() -> None:
    bad = (
        "import telnyx\nimport telnyx.types as t\nfrom telnyx import Telnyx\n"
        "from telnyx.types import X\nimportlib.import_module('telnyx')\n__import__('telnyx')\n"
    )
    assert sdk_imports(bad) == [1, 2, 3, 4, 5, 6]
    ours = "from portal.telnyx import client\nfrom . import telnyx\nfrom .telnyx import x\n"
    assert sdk_imports(ours) == []


def test_loading_every_portal_module_leaves_the_sdk_unimported() -> None:
    script = (
        "import django, importlib, pkgutil, sys\n"
        "django.setup()\n"
        "for package in ('portal', 'orders', 'compliance'):\n"
        "    root = importlib.import_module(package)\n"
        "    for info in pkgutil.walk_packages(root.__path__, package + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print(sorted(m for m in sys.modules if m == 'telnyx' or m.startswith('telnyx.')))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_TESTING": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_sdk_is_a_development_dependency_only() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {Requirement(r).name for r in project["dependencies"]}
    dev = {Requirement(r).name: Requirement(r) for r in project["optional-dependencies"]["dev"]}
    assert "telnyx" not in runtime
    assert "telnyx" in dev
    assert dev["telnyx"].specifier.contains("4.189.0")
    assert not dev["telnyx"].specifier.contains("5.0.0")


def test_p11_every_sdk_client_built_here_has_retries_off() -> None:
    roots = [
        ROOT / d for d in (*PORTAL_PACKAGES, "tests", "bench", "scripts") if (ROOT / d).is_dir()
    ]
    files = python_files(*roots)
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in files
        for line in retrying_sdk_clients(path.read_text())
    ]
    assert offenders == [], "build every Telnyx SDK client with max_retries=0 (P11)"
    # Not vacuous: the SDK suite's clients are among the ones checked.
    assert sum(sdk_client_calls(path.read_text()) for path in files) >= 2


def test_p11_the_retry_scan_flags_default_and_non_zero_retries() -> None:
    source = (
        "a = telnyx.Telnyx(api_key='k')\n"
        "b = Telnyx(api_key='k', max_retries=2)\n"
        "c = telnyx.AsyncTelnyx(api_key='k', max_retries=0)\n"
        "d = c.with_options(max_retries=3)\n"
        "e = c.with_options(timeout=5)\n"
        "f = AsyncTelnyx(max_retries=n)\n"
    )
    assert retrying_sdk_clients(source) == [1, 2, 4, 6]
