"""Screenshots the journeys keep for people to look at: ``tests/artifacts/`` (git-ignored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def screenshot(page: Any, name: str) -> Path:
    """The whole page as ``tests/artifacts/<name>.png``, leaving the page as it was."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # Hiding the caret (Playwright's default) leaves ``style=""`` on every input; htmx's settle
    # then copies that attribute onto swapped-in fields, which the CSP (style-src 'self')
    # reports as a violation the user would never see.
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path
