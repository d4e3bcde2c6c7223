"""Fixtures of the browser journeys: watched pages, a private vault, a sandbox worker, beat,
a mailbox for the file e-mail backend."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from tests.browser.watch import Watched
from tests.fixtures.celery import BASE_DIR, worker_environment


@pytest.fixture
def open_page(browser: Any, live_server: Any) -> Iterator[Callable[[], Watched]]:
    """Open a watched page in a fresh context (one per person); all closed after the test."""
    opened: list[Watched] = []

    def open_one() -> Watched:
        watched = Watched.open(browser, live_server.url)
        opened.append(watched)
        return watched

    yield open_one
    for watched in opened:
        watched.close()


@pytest.fixture
def vault_root(settings: Any, tmp_path: Path) -> Path:
    """Documents uploaded during the test go to an empty private directory of its own."""
    root = tmp_path / "vault"
    settings.DOCUMENT_STORAGE_ROOT = root
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    return root


@pytest.fixture
def sandbox_worker_env(sandbox: Any, vault_root: Path) -> dict[str, str]:
    """What a worker needs to talk to this test's sandbox and vault."""
    return {
        "TELNYX_API_BASE": sandbox.base_url,
        "TELNYX_API_KEY": sandbox.api_key,
        "TELNYX_PUBLIC_KEY": sandbox.public_key,
        "DOCUMENT_STORAGE_ROOT": str(vault_root),
        "DOCUMENT_ENCRYPTION_KEYS": ",".join(django_settings.DOCUMENT_ENCRYPTION_KEYS),
    }


@pytest.fixture
def sandbox_worker(celery_worker_factory: Any, sandbox_worker_env: dict[str, str]) -> Any:
    """A real Celery worker talking to this test's sandbox and vault."""
    return celery_worker_factory(env=sandbox_worker_env)


@pytest.fixture
def active_sync_seconds(settings: Any) -> int:
    """How often ``beat`` runs the active sync; a journey may override it to be quicker."""
    return int(settings.ORDERS_SYNC_ACTIVE_SECONDS)


@pytest.fixture
def beat(
    sandbox_worker: Any, sandbox: Any, tmp_path: Path, active_sync_seconds: int
) -> Iterator[subprocess.Popen[bytes]]:
    """``celery beat`` with the database scheduler (and the active-sync entry the migration
    creates), sending to the worker above."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from orders.schedule import ACTIVE_ENTRY, ensure_active_entry

    # Transactional tests flush the rows the migration made: put the entry back; the first
    # such test still has the migration's, at the default interval: set it.
    ensure_active_entry(PeriodicTask, IntervalSchedule, active_sync_seconds)
    entry = PeriodicTask.objects.get(name=ACTIVE_ENTRY)
    entry.interval, _ = IntervalSchedule.objects.get_or_create(
        every=active_sync_seconds, period="seconds"
    )
    entry.save()  # the pre_save hook keeps its expiry below the interval
    log_path = Path(tempfile.mkstemp(prefix="celery-beat-", suffix=".log")[1])
    env = worker_environment(
        {
            "TELNYX_API_BASE": sandbox.base_url,
            "TELNYX_API_KEY": sandbox.api_key,
            "TELNYX_PUBLIC_KEY": sandbox.public_key,
        }
    )
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO",
        "-s", str(tmp_path / "beat-schedule"), "--pidfile", str(tmp_path / "beat.pid"),
    ]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    log_path.unlink(missing_ok=True)


class Mailbox:
    """Where the workers' file e-mail backend writes: one file per message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(folder),
        }

    def messages(self) -> list[str]:
        """Each message sent so far, as text (the backend writes one file per send)."""
        return [p.read_text(errors="replace") for p in sorted(self.folder.glob("*"))]

    def text(self) -> str:
        return "".join(self.messages())

    def wait_for(self, needle: str, timeout: float = 30.0) -> str:
        """Everything sent so far, once ``needle`` (e.g. ``To: alice@example.test``) is in it."""
        deadline = time.monotonic() + timeout
        while needle not in self.text() and time.monotonic() < deadline:
            time.sleep(0.25)
        sent = self.text()
        assert needle in sent, f"no mail with {needle!r} within {timeout} s"
        return sent


@pytest.fixture
def mailbox(tmp_path: Path) -> Mailbox:
    """An empty folder for the file e-mail backend; pass ``mailbox.env`` to a worker."""
    folder = tmp_path / "mail"
    folder.mkdir()
    return Mailbox(folder)
