"""Take PNG screenshots of the main work screens into docs/screenshots/ (for the README).

Self-contained: starts a throwaway Telnyx sandbox (fast vetting), a SQLite portal database in a
temporary folder, a Celery worker and the development web server; builds a small data set the
way the portal would see it (orders placed at the sandbox and mirrored: US numbers activated,
GB values approved, DE values declined because one contains ``REJECT``, FR still waiting for
values, a requested report), signs in as ``maria`` in headless Chromium and saves one picture
per screen, reduced to a 64-colour palette so the committed files stay small.

Needs Redis (cache and broker; a unique key prefix and queue are used) and Debian's
``/usr/bin/chromium``. Run: ``.venv/bin/python scripts/screenshots.py``
(``REDIS_URL`` to pick a Redis database; ``SCREENSHOTS_DIR`` to write elsewhere).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / "docs" / "screenshots"))
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "demo-password"  # noqa: S105 (the public demo password, debug only)
VIEWPORT = {"width": 1280, "height": 800}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"nothing listens on port {port}") from None
            time.sleep(0.2)


def build_data(sandbox: Any) -> dict[str, Any]:
    """Orders in every interesting state, mirrored by the portal's own sync code."""
    from django.contrib.auth import get_user_model

    from compliance import catalogue
    from compliance.models import Submission
    from orders.sync import refresh_order
    from tests.browser.sandbox_orders import place_at_sandbox
    from tests.sandbox.conftest import ADDRESS, PDF, requirement_values

    alice = get_user_model().objects.get(username="alice")
    catalogue.refresh()

    def address(**fields: Any) -> str:
        body = {**ADDRESS, **fields}
        return sandbox.http.post("/addresses", json=body).json()["data"]["id"]

    def document(filename: str) -> str:
        import base64

        body = {"file": base64.b64encode(PDF).decode(), "filename": filename}
        return sandbox.http.post("/documents", json=body).json()["data"]["id"]

    def submit(order: Any, reject: str | None = None) -> None:
        for sub in order.sub_orders.all():
            values = requirement_values(sub.regulatory_requirements, reject, address, document)
            response = sandbox.http.patch(
                f"/sub_number_orders/{sub.telnyx_id}", json={"regulatory_requirements": values}
            )
            assert response.status_code == 200, response.text
            Submission.objects.create(sub_order=sub, submitted_by=alice, status="submitted")

    orders = {
        "us": place_at_sandbox(sandbox, alice, "US", "local", 3),
        "gb": place_at_sandbox(sandbox, alice, "GB", "local", 2),
        "de": place_at_sandbox(sandbox, alice, "DE", "local", 3),
        "fr": place_at_sandbox(sandbox, alice, "FR", "local", 2),
    }
    submit(orders["gb"])
    submit(orders["de"], reject="textual")  # the end user name is "REJECT": declined
    time.sleep(1.5)
    sandbox.advance(5)  # provisioning and vetting are due: run them now
    for order in orders.values():
        refresh_order(order)
    return orders


def shoot(page: Any, name: str, full_page: bool = False) -> Path:
    from PIL import Image

    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=64, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    print(f"{path}  {path.stat().st_size // 1024} KB")
    return path


def take(base: str, orders: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    de = orders["de"]
    de_sub = de.sub_orders.get()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(base_url=base, viewport=VIEWPORT)
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.goto("/accounts/login/")
        shoot(page, "01-login")
        page.fill("input[name=username]", "maria")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        if not page.is_visible("form.logout"):
            raise SystemExit(f"sign-in failed at {page.url}: {page.inner_text('main')[:300]}")
        page.goto("/")
        shoot(page, "00-work-queue", full_page=True)
        page.goto("/orders/search/?country_code=DE&phone_number_type=local&limit=8")
        shoot(page, "02-search")
        page.goto("/orders/")
        shoot(page, "03-orders")
        page.goto(de.get_absolute_url())
        shoot(page, "04-order-detail")
        page.goto(f"/compliance/sub-orders/{de_sub.public_id}/")
        shoot(page, "05-requirements")
        page.goto("/compliance/deadlines/")
        shoot(page, "06-deadlines")
        page.goto("/compliance/picture/")
        shoot(page, "07-picture", full_page=True)
        page.goto("/orders/reports/")
        page.fill("input[name=country_code]", "DE")
        page.click("form.report-form button[type=submit]")
        page.wait_for_selector("#report-download", timeout=60_000)  # polled until ready
        shoot(page, "08-report")
        browser.close()


def start_sandbox(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SANDBOX_VETTING_SECONDS": "1",
        "SANDBOX_PROVISION_SECONDS": "1",
        "SANDBOX_DB": str(tmp / "sandbox.sqlite3"),
        "DJANGO_DEBUG": "true",
    }
    log = open(tmp / "sandbox.log", "ab")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(  # noqa: S603 (a fixed argument list)
        [sys.executable, "manage.py", "runsandbox", "--port", str(port), "--reset"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    wait_port(port)
    return process


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="portal-screens-"))
    sandbox_port = free_port()
    processes = [start_sandbox(tmp, sandbox_port)]
    tag = uuid.uuid4().hex[:8]
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "true",
        "PORTAL_REQUIRE_OTP": "false",
        "DATABASE_URL": f"sqlite:///{tmp / 'portal.sqlite3'}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CACHE_KEY_PREFIX": f"screens-{tag}",
        # Queues of this run only (a worker without -Q consumes every declared queue).
        "CELERY_TASK_DEFAULT_QUEUE": f"screens-{tag}",
        "CELERY_QUEUE_PREFIX": f"screens-{tag}",
        "PORTAL_PRIVATE_ROOT": str(tmp / "private"),
        "TELNYX_API_BASE": f"http://127.0.0.1:{sandbox_port}/v2",
        "PORTAL_DEMO_PASSWORD": PASSWORD,
        "DASHBOARD_CACHE_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    try:
        # Django reads its settings before anything imports pytest (whose presence means
        # "tests" to portal.settings): this process and the servers must agree.
        import django

        django.setup()
        from django.core.management import call_command

        from tests.fixtures.sandbox import Sandbox, SandboxServer

        call_command("migrate", verbosity=0)
        call_command("seed_demo")
        from portal.sandbox.config import DEFAULT_SIGNING_SEED

        server = SandboxServer(f"http://127.0.0.1:{sandbox_port}", DEFAULT_SIGNING_SEED, None, None)
        orders = build_data(Sandbox(server))
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM reads beside Playwright's loop
        port = free_port()
        log = open(tmp / "processes.log", "ab")  # noqa: SIM115 (closed with the processes)
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "portal", "worker", "-P", "solo",
                 "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
                cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )  # fmt: skip
        processes.append(
            subprocess.Popen(  # noqa: S603 (a fixed argument list)
                [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )  # fmt: skip
        wait_port(port)
        take(f"http://127.0.0.1:{port}", orders)
    finally:
        for process in processes:
            process.terminate()
            process.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
