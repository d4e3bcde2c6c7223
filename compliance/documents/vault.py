"""The encrypted, private file store for identity documents and their previews (P29, P33).

Bytes are encrypted with Fernet before they touch the disk, under names that are random uuid hex
strings (never a user's filename) in a directory nothing serves over HTTP. Keys come from
``DOCUMENT_ENCRYPTION_KEYS`` (newest first); ``MultiFernet`` decrypts with any listed key and
``rotate`` re-encrypts with the newest one so old keys can be dropped.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

_NAME = re.compile(r"^[0-9a-f]{32}$")


class VaultKeyError(Exception):
    """The stored bytes cannot be decrypted with any configured key (wrong or dropped key)."""


def cipher() -> MultiFernet:
    """The MultiFernet built from the configured keys (raises loudly on a malformed key)."""
    return MultiFernet([Fernet(key.encode()) for key in settings.DOCUMENT_ENCRYPTION_KEYS])


def encrypt(data: bytes) -> bytes:
    return cipher().encrypt(data)


def decrypt(token: bytes) -> bytes:
    try:
        return cipher().decrypt(token)
    except InvalidToken as exc:
        raise VaultKeyError("stored data cannot be decrypted with the configured keys") from exc


def root() -> Path:
    path = Path(settings.DOCUMENT_STORAGE_ROOT)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def path_of(name: str) -> Path:
    """The on-disk path of a stored name; refuses anything but a uuid hex name."""
    if not _NAME.fullmatch(name or ""):
        raise ValueError("invalid vault name")
    return root() / name


def put(data: bytes) -> str:
    """Encrypt and store ``data``; return its new random name."""
    name = uuid.uuid4().hex
    target = path_of(name)
    tmp = target.with_name(f".{name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(encrypt(data))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return name


def get(name: str) -> bytes:
    """Read and decrypt a stored file."""
    return decrypt(path_of(name).read_bytes())


def delete(name: str) -> None:
    if name:
        path_of(name).unlink(missing_ok=True)


def exists(name: str) -> bool:
    return bool(name) and path_of(name).exists()


def names() -> set[str]:
    """Every stored name (for the orphan check of the retention job)."""
    return {p.name for p in root().iterdir() if _NAME.fullmatch(p.name)}


def rotate(name: str) -> None:
    """Re-encrypt one stored file with the newest key."""
    target = path_of(name)
    try:
        token = cipher().rotate(target.read_bytes())
    except InvalidToken as exc:
        raise VaultKeyError("stored data cannot be decrypted with the configured keys") from exc
    tmp = target.with_name(f".{name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(token)
    os.replace(tmp, target)
