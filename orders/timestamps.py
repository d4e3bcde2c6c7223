"""Lenient parsing of Telnyx timestamps into aware UTC datetimes.

Telnyx examples mix ``Z`` and ``+00:00`` offsets and even show malformed years; a value we
cannot read becomes ``None`` rather than an exception in the middle of a sync.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime


def parse_ts(value: object) -> datetime | None:
    """Return an aware UTC datetime for a datetime or ISO string, else ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed: datetime | None = value
    else:
        try:
            parsed = parse_datetime(str(value).strip().replace(" ", "T", 1))
        except ValueError:
            return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
