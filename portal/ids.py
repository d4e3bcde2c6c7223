"""The one place an id from a URL, query string or form field is read (PROMISES P53).

Objects are addressed by public UUIDs; a few filters take a database primary key. Anything
else (``x``, a 23-digit number, NUL, an array, a 10,000-character string) is "no such object",
never an exception from the database layer: lookups with a malformed value raise
``ValidationError``/``DataError`` there, which would be a 500.

``uuid_or_404`` answers 404 like an unknown id (the project's rule: ids cannot be probed, and a
malformed id names nothing); ``parse_uuid``/``parse_pk`` return ``None`` for callers that treat
a missing object as "not given".
"""

from __future__ import annotations

import uuid

from django.http import Http404

# The largest value a BigAutoField primary key can hold (PostgreSQL bigint).
MAX_PK = 2**63 - 1
# A UUID is 32 hex digits plus at most braces, hyphens and a "urn:uuid:" prefix.
_MAX_UUID_TEXT = 45


def parse_uuid(value: object) -> uuid.UUID | None:
    """``value`` as a UUID, or ``None`` when it is not one."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or len(value) > _MAX_UUID_TEXT:
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def uuid_or_404(value: object) -> uuid.UUID:
    """``value`` as a UUID; a malformed one is 404, the same answer as an unknown one."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise Http404("Not found")
    return parsed


def parse_pk(value: object) -> int | None:
    """``value`` as a positive database primary key, or ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and 0 < len(value) <= 19 and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_PK else None
