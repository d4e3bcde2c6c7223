"""PostgreSQL advisory locks, used by both apps to keep one worker per job.

Other databases (the SQLite file of ``make run``, one worker) get no lock: there is nobody to
race with.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def lock_key(namespace: str, key: int) -> int:
    """One signed 64-bit key per (namespace, key)."""
    return ((zlib.crc32(namespace.encode()) << 31) ^ key) % (2**63)


@contextmanager
def advisory_lock(namespace: str, key: int) -> Iterator[bool]:
    """A session-level advisory lock; yields False if another session holds it.

    Session level (not transaction level) so it spans an HTTP call without holding a
    transaction open; a crashed worker's connection closes and the lock goes with it.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    lock = lock_key(namespace, key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [lock])


def transaction_lock(namespace: str, key: int) -> None:
    """Wait for an advisory lock held until the current transaction ends (serialises a
    check-then-insert such as the daily order cap across requests)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(namespace, key)])
