"""Fixtures of the browser journeys: watched pages, a private vault, a sandbox worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from tests.browser.watch import Watched


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
def sandbox_worker(celery_worker_factory: Any, sandbox: Any, vault_root: Path) -> Any:
    """A real Celery worker talking to this test's sandbox and vault."""
    return celery_worker_factory(
        env={
            "TELNYX_API_BASE": sandbox.base_url,
            "TELNYX_API_KEY": sandbox.api_key,
            "TELNYX_PUBLIC_KEY": sandbox.public_key,
            "DOCUMENT_STORAGE_ROOT": str(vault_root),
            "DOCUMENT_ENCRYPTION_KEYS": ",".join(django_settings.DOCUMENT_ENCRYPTION_KEYS),
        }
    )
