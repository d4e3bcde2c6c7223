"""`make prod-check`: the production stack on this machine, driven as a user would drive it.

Starts, with DJANGO_DEBUG=false and production settings: gunicorn (deploy/gunicorn.conf.py)
behind a small plain-HTTP proxy that sets X-Forwarded-Proto/For as a TLS-terminating proxy
does (SECURE_PROXY_SSL_HEADER_ENABLED=true), PostgreSQL (a database of its own, dropped at the
end), a private redis-server on a free port, Celery workers split as the README recipe says
(sync apart from the rest), beat, and the Telnyx sandbox (--allow-production) as Telnyx. Runs the
release step (collectstatic, check --deploy, migrate), then signs in a staff member and a manager
(password + TOTP codes computed here with django-otp), searches and places an order, waits for
the worker to place it and the webhooks to mirror it, uploads a document, fills and submits the
requirements, has the manager approve the submission in the admin, and waits for the sandbox's
vetting to come back approved. Fails on any 5xx answer, any traceback in any process's log, or a
step that does not finish in time. Every process is stopped by its process group at the end.

Hand-written rather than a test-suite fixture because it must run the real deployment commands
(gunicorn, celery CLI, manage.py) as separate processes with a production environment, which
the suite's settings (PORTAL_TESTING) would change. Exit status 0 = pass.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
from cryptography.fernet import Fernet
from django_otp.oath import totp

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEADLINE_SECONDS = float(os.environ.get("PROD_CHECK_TIMEOUT", "240"))
ADMIN_URL = os.environ.get(
    "PROD_CHECK_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)


class CheckFailed(Exception):
    pass


def say(message: str) -> None:
    print(f"prod-check: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, condition: Any, timeout: float = 60, every: float = 0.25) -> Any:
    """Poll ``condition()`` until it returns something truthy (bounded; no bare sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise CheckFailed(f"timed out after {timeout:.0f} s waiting for {what}")


class Processes:
    """Child processes, each in its own process group, with their output in log files."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 (our own commands)
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.children[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def assert_running(self) -> None:
        for name, process in self.children.items():
            if process.poll() is not None:
                raise CheckFailed(
                    f"{name} exited ({process.returncode}):\n{self.log(name)[-3000:]}"
                )

    def stop_all(self) -> None:
        """Newest first (Redis, started first, goes last), like a supervisor's stop order."""
        for process in reversed(self.children.values()):
            self._stop(process)

    def _stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # leftovers of the group (pool children)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)


class ForwardingProxy(BaseHTTPRequestHandler):
    """What nginx does after TLS: forward to gunicorn with X-Forwarded-Proto: https."""

    upstream: tuple[str, int] = ("127.0.0.1", 0)
    statuses: list[tuple[int, str, str]] = []
    recording = False  # set once the stack is healthy; 502s while gunicorn starts are expected
    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        headers["X-Forwarded-Proto"] = "https"
        headers["X-Forwarded-For"] = self.client_address[0]
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            status, answer_headers, payload = (
                response.status, response.getheaders(), response.read()
            )  # fmt: skip
        except OSError:
            status, answer_headers, payload = 502, [], b"bad gateway"
        finally:
            connection.close()
        if ForwardingProxy.recording:
            ForwardingProxy.statuses.append((status, self.command, self.path.split("?")[0]))
        self.send_response(status)
        for key, value in answer_headers:
            if key.lower() not in {"transfer-encoding", "connection", "content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_HEAD = _forward

    def log_message(self, *args: object) -> None:
        pass


class Browser:
    """A user agent over the proxy. Cookies are Secure (the portal believes it is on https),
    so they are kept here by hand: a standard cookie jar would not send them over plain http."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.origin = base_url.replace("http://", "https://")
        self.http = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method != "GET":
            headers.setdefault("Origin", self.origin)
            headers.setdefault("Referer", self.origin + "/")
        response = self.http.request(method, url, headers=headers, **kwargs)
        self.http.cookies.clear()
        for raw in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.status_code >= 500:
            raise CheckFailed(f"{method} {url} answered {response.status_code}")
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        response = self.request("GET", url, **kwargs)
        for _ in range(5):
            if response.status_code not in (301, 302, 303):
                break
            location = response.headers["location"]
            if location.startswith(self.origin):
                location = location[len(self.origin) :]
            if location.startswith(("http://", "https://")):
                raise CheckFailed(f"{url} redirected off the site to {location}")
            response = self.request("GET", location)
        return response

    def csrf(self, page: httpx.Response) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not match:
            raise CheckFailed(f"no CSRF token on {page.request.url}")
        return match[1]

    def post_form(
        self, url: str, data: dict[str, Any], page: httpx.Response, **kw: Any
    ) -> httpx.Response:
        return self.request(
            "POST", url, data={**data, "csrfmiddlewaretoken": self.csrf(page)}, **kw
        )

    def sign_in(self, username: str, password: str, totp_key: bytes) -> None:
        login = self.get("/accounts/login/")
        answer = self.post_form(
            "/accounts/login/", {"username": username, "password": password}, login
        )
        if answer.status_code != 302:
            raise CheckFailed(f"login as {username} was refused ({answer.status_code})")
        otp_page = self.get(answer.headers["location"])
        if "/accounts/otp/" not in str(otp_page.request.url):
            raise CheckFailed("the production login did not ask for the second factor")
        code = f"{totp(totp_key, step=30, t0=0, digits=6):06d}"
        verified = self.post_form(
            str(otp_page.request.url).replace(self.base_url, ""), {"token": code}, otp_page
        )
        if verified.status_code != 302:
            raise CheckFailed(f"the TOTP code for {username} was refused ({verified.status_code})")
        home = self.get("/")
        if home.status_code != 200 or "/accounts/login/" in str(home.request.url):
            raise CheckFailed(f"{username} is not signed in after the second factor")


USERS_SCRIPT = """
import os
from django.contrib.auth.models import Group, User
from django_otp.plugins.otp_totp.models import TOTPDevice
from portal import roles
for name, group in (("checker", roles.STAFF), ("checkmgr", roles.MANAGERS)):
    user = User.objects.create_user(name, f"{name}@example.test", os.environ["PROD_CHECK_PASSWORD"])
    user.groups.add(Group.objects.get(name=group))
    if group == roles.MANAGERS:
        user.is_staff = True
        user.save()
    TOTPDevice.objects.create(
        user=user, name="prod-check", confirmed=True, key=os.environ[f"PROD_CHECK_TOTP_{name}"]
    )
print("users ready")
"""


def fill_requirements(browser: Browser, sub_url: str, sub_public_id: str) -> None:
    form_url = f"{sub_url}requirements"
    page = browser.get(form_url)
    sections = re.split(r'<div class="requirement[^"]*" id="section-', page.text)[1:]
    data: dict[str, str] = {"action": "submit"}
    document_field = None
    for section in sections:
        names = set(re.findall(r'name="(req_[0-9a-f]+(?:__\w+)?)"', section))
        if 'type="file"' in section:
            (document_field,) = {n for n in names if "__" not in n}
        elif any("__" in n for n in names):
            address = {
                "first_name": "Jane", "last_name": "Doe", "business_name": "Acme Widgets GmbH",
                "street_address": "Friedrichstrasse 68", "locality": "Berlin",
                "postal_code": "10117", "country_code": "DE",
            }  # fmt: skip
            for name in names:
                key = name.split("__", 1)[1] if "__" in name else ""
                if key in address:
                    data[name] = address[key]
        else:
            for name in names:
                data[name] = "Acme Widgets GmbH"
    if document_field is None:
        raise CheckFailed("the requirement form has no document field")
    pdf = sample_pdf()
    uploaded = browser.request(
        "POST",
        "/compliance/documents/upload",
        data={"sub_order": sub_public_id, "csrfmiddlewaretoken": browser.csrf(page)},
        files={"file": ("utility-bill.pdf", pdf, "application/pdf")},
    )
    if uploaded.status_code != 201:
        raise CheckFailed(
            f"the document upload answered {uploaded.status_code}: {uploaded.text[:300]}"
        )
    document_id = re.search(r'type="hidden" name="file" value="([0-9a-f-]{36})"', uploaded.text)
    if not document_id:
        raise CheckFailed("the upload answer names no document")
    data[document_field] = document_id[1]
    submitted = browser.post_form(form_url, data, page)
    if submitted.status_code != 302:
        errors = re.findall(r'class="field-error"[^>]*>([^<]+)', submitted.text)
        raise CheckFailed(f"submitting the requirements answered {submitted.status_code}: {errors}")


def sample_pdf() -> bytes:
    import io

    import pikepdf

    document = pikepdf.new()
    document.add_blank_page(page_size=(200, 200))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def run(workdir: Path, procs: Processes) -> None:
    started = time.monotonic()
    db_name = os.environ.get("PROD_CHECK_DB", f"portal_prod_check_{os.getpid()}")
    admin = psycopg.connect(ADMIN_URL, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
    admin.execute(f'CREATE DATABASE "{db_name}"')
    try:
        stack(workdir, procs, db_name, started)
    finally:
        procs.stop_all()
        admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.close()


def stack(workdir: Path, procs: Processes, db_name: str, started: float) -> None:
    redis_port, web_port, proxy_port, sandbox_port = (free_port() for _ in range(4))
    procs.start(
        "redis",
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--maxmemory-policy", "noeviction"],
        dict(os.environ),
    )  # fmt: skip
    password = secrets.token_urlsafe(16)
    totp_keys = {name: secrets.token_bytes(20) for name in ("checker", "checkmgr")}
    sandbox_key = "KEYPRODCHECK" + secrets.token_hex(8).upper()
    seed = base64.b64encode(secrets.token_bytes(32)).decode()
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    keep = {
        k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}
    }
    env = {
        **keep,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": proxy_url.replace("http://", "https://"),
        "SECURE_PROXY_SSL_HEADER_ENABLED": "true",
        "AXES_IPWARE_PROXY_COUNT": "1",
        "DATABASE_URL": f"{ADMIN_URL.rsplit('/', 1)[0]}/{db_name}",
        "DATABASE_CONN_MAX_AGE": "60",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CELERY_QUEUE_PREFIX": "prodcheck",
        "CACHE_KEY_PREFIX": "prodcheck",
        "TELNYX_API_BASE": f"http://127.0.0.1:{sandbox_port}/v2",
        "TELNYX_API_KEY": sandbox_key,
        "DOCUMENT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SEARCH_INDEX_KEY": secrets.token_urlsafe(32),
        # No clamd on this machine: acknowledge it, as an operator must (portal.W033).
        "DOCUMENT_SCANNING_OFF": "true",
        "PORTAL_PRIVATE_ROOT": str(workdir / "private"),
        "STATIC_ROOT": str(workdir / "static"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "COMPLIANCE_PORTAL_URL": proxy_url,
        "ORDERS_SYNC_INTERVAL_SECONDS": "20",
        "PYTHONUNBUFFERED": "1",
        # The sandbox (the Telnyx stand-in): its own state, key and quick vetting.
        "SANDBOX_DB": str(workdir / "sandbox.sqlite3"),
        "SANDBOX_API_KEYS": sandbox_key,
        "SANDBOX_SIGNING_KEY": seed,
        "SANDBOX_WEBHOOK_URL": f"{proxy_url}/webhooks/telnyx",
        "SANDBOX_VETTING_SECONDS": "3",
        "SANDBOX_PROVISION_SECONDS": "1",
        # gunicorn (deploy/gunicorn.conf.py)
        "GUNICORN_BIND": f"127.0.0.1:{web_port}",
        "WEB_CONCURRENCY": "2",
        "WORKER_CONCURRENCY": "1",
        "CELERY_BIN": str(BIN / "celery"),
    }
    manage = [str(BIN / "python"), "manage.py"]
    public_key = subprocess.run(  # noqa: S603
        [*manage, "runsandbox", "--print-public-key"], cwd=ROOT, env=env, capture_output=True,
        text=True, check=True, timeout=60,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    env["TELNYX_PUBLIC_KEY"] = public_key

    say("release step: collectstatic, check --deploy, migrate")
    for argv in (
        [*manage, "collectstatic", "--noinput", "-v", "0"],
        # The sandbox is plain http, so the only expected warning is portal.W003.
        [*manage, "check", "--deploy", "--fail-level", "ERROR"],
        [*manage, "migrate", "--noinput", "-v", "0"],
    ):
        result = subprocess.run(  # noqa: S603
            argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        if result.returncode != 0:
            raise CheckFailed(f"{' '.join(argv[1:3])} failed:\n{result.stdout}{result.stderr}")
    users_env = {
        **env,
        "PROD_CHECK_PASSWORD": password,
        **{f"PROD_CHECK_TOTP_{name}": key.hex() for name, key in totp_keys.items()},
    }
    result = subprocess.run(  # noqa: S603
        [*manage, "shell", "-c", USERS_SCRIPT], cwd=ROOT, env=users_env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    if "users ready" not in result.stdout:
        raise CheckFailed(f"could not create the check's users:\n{result.stderr}")

    say("starting sandbox, gunicorn, workers (sync | the rest), beat and the proxy")
    procs.start(
        "sandbox", [*manage, "runsandbox", "--port", str(sandbox_port), "--allow-production"], env
    )
    procs.start("web", [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "portal.wsgi"], env)
    procs.start("worker-sync", ["scripts/worker.sh", "sync"], env)
    procs.start("worker", ["scripts/worker.sh", "placing,submissions,webhooks,email,default"], env)
    procs.start("beat", [str(BIN / "celery"), "-A", "portal", "beat", "--loglevel", "INFO",
                         "--pidfile="], env)  # fmt: skip
    ForwardingProxy.upstream = ("127.0.0.1", web_port)
    proxy = ThreadingHTTPServer(("127.0.0.1", proxy_port), ForwardingProxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        browser = Browser(proxy_url)

        def healthy() -> bool:
            procs.assert_running()
            with contextlib.suppress(httpx.TransportError):
                telnyx = httpx.get(
                    f"http://127.0.0.1:{sandbox_port}/_sandbox/clock",
                    headers={"Authorization": f"Bearer {sandbox_key}"},
                    timeout=5,
                )
                portal = httpx.get(f"{proxy_url}/healthz", timeout=5)
                return telnyx.status_code == 200 and portal.status_code == 200
            return False

        wait_for("/healthz and the sandbox to answer 200", healthy, timeout=90)
        ForwardingProxy.recording = True
        say(f"stack healthy after {time.monotonic() - started:.0f} s")
        plain = httpx.get(f"http://127.0.0.1:{web_port}/accounts/login/", timeout=10)
        if plain.status_code != 301 or not plain.headers["location"].startswith("https://"):
            raise CheckFailed("plain http without the proxy header was not redirected to https")
        static = browser.get("/accounts/login/")
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', static.text)
        if not assets or any(browser.get(a).status_code != 200 for a in assets):
            raise CheckFailed(f"static files of the login page not served: {assets}")

        say("signing in (password + TOTP) and placing an order")
        browser.sign_in("checker", password, totp_keys["checker"])
        found = browser.get(
            "/orders/search/", params={"country_code": "DE", "phone_number_type": "local"}
        )
        numbers = re.findall(r'name="phone_number" value="(\+\d+)"', found.text)
        if not numbers:
            raise CheckFailed("the number search found nothing")
        browser.post_form("/orders/selection/add/", {"phone_number": numbers[0]}, found)
        review = browser.get("/orders/review/")
        intent = re.search(r'name="intent" value="([0-9a-f-]{36})"', review.text)
        if not intent:
            raise CheckFailed("the review page has no place-order form")
        placed = browser.post_form(
            "/orders/review/",
            {
                "intent": intent[1],
                "connection_id": "",
                "messaging_profile_id": "",
                "billing_group_id": "",
            },
            review,
        )
        if placed.status_code != 302:
            raise CheckFailed(f"placing the order answered {placed.status_code}")
        order_url = placed.headers["location"].replace(browser.origin, "")

        def sub_order_link() -> str | None:
            procs.assert_running()
            match = re.search(
                r'href="(/compliance/sub-orders/([0-9a-f-]{36})/)"', browser.get(order_url).text
            )
            return match and match[0]

        wait_for(
            "the worker to place the order and its sub order to appear", sub_order_link, timeout=60
        )
        match = re.search(
            r'href="(/compliance/sub-orders/([0-9a-f-]{36})/)"', browser.get(order_url).text
        )
        assert match
        sub_url, sub_id = match[1], match[2]

        say("filling and submitting the requirements (document upload included)")
        fill_requirements(browser, sub_url, sub_id)

        say("the manager approves the submission in the admin")
        manager = Browser(proxy_url)
        manager.sign_in("checkmgr", password, totp_keys["checkmgr"])
        listing = manager.get("/admin/compliance/submission/")
        decide = re.search(
            r'href="(/admin/compliance/submission/\d+/decide/approve/)"', listing.text
        )
        if not decide:
            change = re.search(r'href="(/admin/compliance/submission/\d+/change/)"', listing.text)
            if not change:
                raise CheckFailed("the manager sees no submission to approve")
            page = manager.get(change[1])
            decide = re.search(
                r'href="(/admin/compliance/submission/\d+/decide/approve/)"', page.text
            )
            if not decide:
                raise CheckFailed("the submission offers no approve action")
        form = manager.get(decide[1])
        approved = manager.post_form(decide[1], {"reason": "prod-check"}, form)
        if approved.status_code != 302:
            raise CheckFailed(f"approving answered {approved.status_code}")

        say("waiting for the submission and the sandbox's vetting")

        def vetted() -> bool:
            procs.assert_running()
            body = browser.get(sub_url).text
            if 'data-status="failed"' in body:
                raise CheckFailed("the submission failed")
            return 'data-status="approved"' in body

        wait_for("the requirements to come back approved", vetted, timeout=90, every=1)
    finally:
        proxy.shutdown()
        proxy.server_close()
    five_xx = [s for s in ForwardingProxy.statuses if s[0] >= 500]
    if five_xx:
        raise CheckFailed(f"5xx answers: {five_xx}")
    problems = [
        f"{name}: traceback" for name in procs.children if "Traceback" in procs.log(name)
    ] + [
        f"{name}: ERROR" for name in procs.children
        if re.search(r"\bERROR\b|\bCRITICAL\b", procs.log(name))
    ]  # fmt: skip
    if problems:
        details = "\n".join(procs.log(p.split(":")[0])[-2000:] for p in problems)
        raise CheckFailed(f"errors in the logs: {problems}\n{details}")
    say(
        f"{len(ForwardingProxy.statuses)} requests, no 5xx, no traceback; "
        f"done in {time.monotonic() - started:.0f} s"
    )


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="prod-check-"))
    procs = Processes(workdir)

    def out_of_time(*_: object) -> None:
        raise CheckFailed(f"not done within {DEADLINE_SECONDS:.0f} s (PROD_CHECK_TIMEOUT)")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(int(DEADLINE_SECONDS))
    try:
        run(workdir, procs)
    except CheckFailed as exc:
        say(f"FAIL: {exc}")
        say(f"process logs kept in {workdir}")
        return 1
    finally:
        signal.alarm(0)
    say("PASS")
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
