"""The encrypted, private file store for identity documents and their previews (P29, P33, P52).

Files are encrypted before they touch the disk, under names that are random uuid hex strings
(never a user's filename) in a directory nothing serves over HTTP. Keys come from
``DOCUMENT_ENCRYPTION_KEYS`` (newest first).

Two formats are read:

* the current one, written by ``put``/``put_file``/``rotate``: Tink's streaming AEAD
  (AES256-GCM-HKDF, 64 KiB segments), so a 20 MB document is encrypted and decrypted a segment
  at a time and never held whole in memory. A file is ``MAGIC``, the plaintext length (8 bytes),
  then Tink's ciphertext; the magic, the vault name and the length are the associated data, so a
  file renamed or with its length edited does not decrypt. The streaming key of each configured
  key is derived with HKDF-SHA256 (``STREAM_KEY_INFO``), so the one key list serves both formats
  and rotating it works as before.
* the older Fernet tokens (``MultiFernet``), which cannot be streamed: they are still read
  (whole), and ``rotate`` re-encrypts them into the streaming format.

``encrypt``/``decrypt`` stay Fernet: they protect short values in database columns.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import tink
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from tink import cleartext_keyset_handle, streaming_aead
from tink.proto import aes_gcm_hkdf_streaming_pb2, common_pb2, tink_pb2

_NAME = re.compile(r"^[0-9a-f]{32}$")
MAGIC = b"\x00NCP-VAULT-STREAM-1\n"
_LENGTH = 8
HEADER_SIZE = len(MAGIC) + _LENGTH
CHUNK = 64 * 1024
SEGMENT_SIZE = 64 * 1024
STREAM_KEY_INFO = b"numbers-compliance-portal vault stream key v1"
_STREAM_KEY_TYPE = "type.googleapis.com/google.crypto.tink.AesGcmHkdfStreamingKey"

streaming_aead.register()


class VaultKeyError(Exception):
    """The stored bytes cannot be decrypted with any configured key (wrong or dropped key)."""


@dataclass(frozen=True)
class Stored:
    """A file written to the vault: its name, plaintext size and plaintext SHA-256."""

    name: str
    size: int
    sha256: str


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


@functools.lru_cache(maxsize=4)
def _streaming(keys: tuple[str, ...]) -> Any:
    """Tink's streaming AEAD over a keyset derived from ``keys`` (the first one is primary)."""
    keyset = tink_pb2.Keyset()
    for index, key in enumerate(keys, start=1):
        Fernet(key.encode())  # a malformed key fails here as loudly as for Fernet
        raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=STREAM_KEY_INFO).derive(
            key.encode()
        )
        proto = aes_gcm_hkdf_streaming_pb2.AesGcmHkdfStreamingKey(
            version=0,
            key_value=raw,
            params=aes_gcm_hkdf_streaming_pb2.AesGcmHkdfStreamingParams(
                ciphertext_segment_size=SEGMENT_SIZE,
                derived_key_size=32,
                hkdf_hash_type=common_pb2.SHA256,
            ),
        )
        entry = keyset.key.add()
        entry.key_data.type_url = _STREAM_KEY_TYPE
        entry.key_data.value = proto.SerializeToString()
        entry.key_data.key_material_type = tink_pb2.KeyData.SYMMETRIC
        entry.status = tink_pb2.ENABLED
        entry.key_id = index
        entry.output_prefix_type = tink_pb2.RAW
    keyset.primary_key_id = 1
    handle = cleartext_keyset_handle.from_keyset(keyset)
    return handle.primitive(streaming_aead.StreamingAead)


def _stream_cipher() -> Any:
    return _streaming(tuple(settings.DOCUMENT_ENCRYPTION_KEYS))


def _associated_data(name: str, size: int) -> bytes:
    return MAGIC + name.encode() + size.to_bytes(_LENGTH, "big")


def root() -> Path:
    path = Path(settings.DOCUMENT_STORAGE_ROOT)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def path_of(name: str) -> Path:
    """The on-disk path of a stored name; refuses anything but a uuid hex name."""
    if not _NAME.fullmatch(name or ""):
        raise ValueError("invalid vault name")
    return root() / name


def _chunks(source: IO[bytes]) -> Iterator[bytes]:
    while chunk := source.read(CHUNK):
        yield chunk


def _size_of(source: IO[bytes]) -> int:
    start = source.tell()
    end = source.seek(0, io.SEEK_END)
    source.seek(start)
    return end - start


def _write(name: str, source: IO[bytes], size: int, *, exclusive: bool) -> Stored:
    """Encrypt ``size`` bytes of ``source`` a chunk at a time into ``name`` (atomic rename)."""
    target = path_of(name)
    tmp = target.with_name(f".{name}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(tmp, flags, 0o600)
    digest = hashlib.sha256()
    written = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + size.to_bytes(_LENGTH, "big"))
            stream = _stream_cipher().new_encrypting_stream(fh, _associated_data(name, size))
            with stream:
                for chunk in _chunks(source):
                    digest.update(chunk)
                    written += len(chunk)
                    if written > size:
                        raise ValueError("the source grew while it was being stored")
                    stream.write(chunk)
            if written != size:
                raise ValueError("the source shrank while it was being stored")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Stored(name, size, digest.hexdigest())


def put_file(source: IO[bytes]) -> Stored:
    """Encrypt and store a seekable file from its current position to its end, in chunks."""
    return _write(uuid.uuid4().hex, source, _size_of(source), exclusive=True)


def put(data: bytes) -> str:
    """Encrypt and store ``data``; return its new random name."""
    return put_file(io.BytesIO(data)).name


class _PlainStream(io.RawIOBase):
    """The plaintext of a streaming-format file, decrypted a segment at a time.

    Seekable so that ``FileResponse`` can tell the length and an upload can be rewound for a
    retry: a backward seek starts decrypting again from the beginning.
    """

    def __init__(self, path: Path, name: str) -> None:
        self._path = path
        self._fh = path.open("rb")
        header = self._fh.read(HEADER_SIZE)
        if len(header) != HEADER_SIZE or not header.startswith(MAGIC):
            self._fh.close()
            raise VaultKeyError("stored data is not in the vault's streaming format")
        self.size = int.from_bytes(header[len(MAGIC) :], "big")
        self._ad = _associated_data(name, self.size)
        self._pos = 0
        self._plain: Any = None
        self._plain_pos = 0
        try:
            self._restart()
            # Decrypt the first segment now: a wrong key fails here, before any answer is sent.
            self._guard(self._peek)
        except BaseException:
            self.close()
            raise

    def _guard(self, read: Any) -> Any:
        try:
            return read()
        except tink.TinkError as exc:
            raise VaultKeyError("stored data cannot be decrypted with the configured keys") from exc

    def _peek(self) -> bytes:
        return bytes(self._plain.peek(1))

    def _restart(self) -> None:
        if self._plain is not None:
            self._plain.close()
            self._fh = self._path.open("rb")
        self._fh.seek(HEADER_SIZE)
        self._plain = _stream_cipher().new_decrypting_stream(self._fh, self._ad)
        self._plain_pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self.size:
            return 0
        if self._plain_pos > self._pos:
            self._restart()
        while self._plain_pos < self._pos:
            skipped = self._guard(lambda: self._plain.read(min(CHUNK, self._pos - self._plain_pos)))
            if not skipped:
                raise VaultKeyError("stored data is truncated")
            self._plain_pos += len(skipped)
        view = memoryview(buffer)[: self.size - self._pos]
        count = self._guard(lambda: self._plain.readinto(view))
        if not count:
            raise VaultKeyError("stored data is truncated")
        self._pos += count
        self._plain_pos += count
        return int(count)

    def close(self) -> None:
        if not self.closed:
            if self._plain is not None:
                self._plain.close()
            self._fh.close()
        super().close()


def is_streamed(name: str) -> bool:
    """Whether a stored file is in the streaming format (``False``: an older Fernet token)."""
    with path_of(name).open("rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def open_plain(name: str) -> IO[bytes]:
    """A seekable reader of the plaintext of a stored file; close it after use.

    Streaming-format files are decrypted a segment at a time; an older Fernet file can only be
    decrypted whole (it is read into memory). Raises ``VaultKeyError`` at once for a wrong key.
    """
    path = path_of(name)
    if is_streamed(name):
        return io.BufferedReader(_PlainStream(path, name), buffer_size=CHUNK)
    return io.BytesIO(decrypt(path.read_bytes()))


def plain_size(reader: IO[bytes]) -> int:
    """The plaintext length behind a reader from ``open_plain`` (without reading it)."""
    return _size_of(reader)


def get(name: str) -> bytes:
    """Read and decrypt a stored file whole (for previews and other small files)."""
    with open_plain(name) as reader:
        return reader.read()


def delete(name: str) -> None:
    if name:
        path_of(name).unlink(missing_ok=True)


def exists(name: str) -> bool:
    return bool(name) and path_of(name).exists()


def names() -> set[str]:
    """Every stored name (for the orphan check of the retention job)."""
    return {p.name for p in root().iterdir() if _NAME.fullmatch(p.name)}


def rotate(name: str) -> None:
    """Re-encrypt one stored file with the newest key, in the streaming format."""
    with open_plain(name) as reader:
        _write(name, reader, plain_size(reader), exclusive=False)
