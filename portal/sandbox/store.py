"""State of the sandbox: in-memory tables written through to SQLite, so a restart loses nothing.

Every resource is a JSON document in ``records(kind, id, data)``; the whole state is loaded at
start-up (a sandbox holds thousands of rows, not millions) and reads never touch the disk.
Writes are committed once per request or background pass. Document contents live in ``blobs``.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Store:
    """Tables of JSON records keyed by kind and id, kept in insertion order."""

    def __init__(self, path: str, reset: bool = False) -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            if reset:
                for suffix in ("", "-wal", "-shm"):
                    Path(path + suffix).unlink(missing_ok=True)
        self.db = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.tables: dict[str, dict[str, dict[str, Any]]] = {}
        self.meta: dict[str, Any] = {}
        self.dirty = False
        for kind, rid, data in self.db.execute("SELECT kind, id, data FROM records ORDER BY rowid"):
            self.tables.setdefault(kind, {})[rid] = json.loads(data)
        for key, value in self.db.execute("SELECT key, value FROM meta"):
            self.meta[key] = json.loads(value)

    def table(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.tables.setdefault(kind, {})

    def get(self, kind: str, rid: str) -> dict[str, Any] | None:
        return self.tables.get(kind, {}).get(rid)

    def require(self, kind: str, rid: str) -> dict[str, Any]:
        """A record another record points at; its absence means the sandbox state is broken."""
        record = self.get(kind, rid)
        if record is None:
            raise LookupError(f"sandbox state is inconsistent: no {kind} {rid}")
        return record

    def all(self, kind: str) -> list[dict[str, Any]]:
        return list(self.tables.get(kind, {}).values())

    def put(self, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        self.table(kind)[record["id"]] = record
        self.db.execute(
            "INSERT INTO records (kind, id, data) VALUES (?, ?, ?) "
            "ON CONFLICT(kind, id) DO UPDATE SET data = excluded.data",
            (kind, record["id"], json.dumps(record, separators=(",", ":"))),
        )
        self.dirty = True
        return record

    def put_many(self, kind: str, records: list[dict[str, Any]]) -> None:
        table = self.table(kind)
        rows = []
        for record in records:
            table[record["id"]] = record
            rows.append((kind, record["id"], json.dumps(record, separators=(",", ":"))))
        self.db.executemany(
            "INSERT INTO records (kind, id, data) VALUES (?, ?, ?) "
            "ON CONFLICT(kind, id) DO UPDATE SET data = excluded.data",
            rows,
        )
        self.dirty = True

    def delete(self, kind: str, rid: str) -> None:
        self.tables.get(kind, {}).pop(rid, None)
        self.db.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, rid))
        self.dirty = True

    def set_meta(self, key: str, value: Any) -> None:
        self.meta[key] = value
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )
        self.dirty = True

    def put_blob(self, rid: str, content: bytes) -> None:
        self.db.execute("INSERT OR REPLACE INTO blobs (id, content) VALUES (?, ?)", (rid, content))
        self.dirty = True

    def get_blob(self, rid: str) -> bytes | None:
        row = self.db.execute("SELECT content FROM blobs WHERE id = ?", (rid,)).fetchone()
        return bytes(row[0]) if row else None

    def delete_blob(self, rid: str) -> None:
        self.db.execute("DELETE FROM blobs WHERE id = ?", (rid,))
        self.dirty = True

    def commit(self) -> None:
        if self.dirty:
            self.db.commit()
            self.dirty = False

    def rollback(self) -> None:
        """Forget uncommitted writes on disk; the caller reloads memory (used after a crash)."""
        self.db.rollback()
        self.dirty = False

    def close(self) -> None:
        self.commit()
        self.db.close()
