"""The sandbox clock: real time plus an offset that tests move forward (never backward).

Deadlines, vetting, expiries and webhook retries all run against this clock, so a test can
"wait" 73 hours in a millisecond. The offset is stored with the state, so it survives restarts.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from .store import Store


class Clock:
    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def offset(self) -> float:
        return float(self.store.meta.get("clock_offset", 0.0))

    def now(self) -> float:
        """Seconds since the epoch on the sandbox clock."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.store.set_meta("clock_offset", self.offset + seconds)


def iso(ts: float | None) -> str | None:
    """Telnyx's timestamp form: microseconds and a ``Z``."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(value: str) -> float | None:
    """Lenient ISO 8601 parsing (``Z`` or offsets, date only); ``None`` when it is not a date."""
    text = value.strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def parse_duration(text: str) -> float:
    """``73h``, ``30m``, ``90s``, ``2d`` or a bare number of seconds."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)
