"""Optional ClamAV scan through clamd's INSTREAM command; fails closed (P31).

Enabled by ``CLAMAV_ADDRESS`` (``tcp://host:port`` or ``unix:///path``). When it is set, a file is
accepted only if clamd answers ``stream: OK``; a virus, a timeout or a broken connection refuses
the upload, so an unscanned file never reaches reviewers or Telnyx.
"""

from __future__ import annotations

import io
import socket
import struct
from typing import IO
from urllib.parse import urlsplit

from django.conf import settings

CHUNK = 64 * 1024


class ScanRefused(Exception):
    """The scanner found something, or could not vouch for the file."""


def scanner_configured() -> bool:
    return bool(settings.CLAMAV_ADDRESS)


def _connect() -> socket.socket:
    address = urlsplit(settings.CLAMAV_ADDRESS)
    timeout = settings.CLAMAV_TIMEOUT
    if address.scheme == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address.path)
        return sock
    if address.scheme == "tcp" and address.hostname and address.port:
        return socket.create_connection((address.hostname, address.port), timeout=timeout)
    raise ScanRefused("The virus scanner address is misconfigured.")


def scan_bytes(data: bytes) -> None:
    """Scan ``data``; return normally only when clamd reports it clean."""
    scan_file(io.BytesIO(data))


def scan_file(source: IO[bytes]) -> None:
    """Scan a file from its current position, a chunk at a time; return only when clean."""
    try:
        with _connect() as sock:
            sock.sendall(b"zINSTREAM\0")
            while chunk := source.read(CHUNK):
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                part = sock.recv(4096)
                if not part:
                    break
                reply += part
    except OSError as exc:
        raise ScanRefused("The virus scanner is unavailable; the file was not accepted.") from exc
    answer = reply.rstrip(b"\0").decode(errors="replace").strip()
    if answer.endswith("FOUND"):
        raise ScanRefused("The virus scanner flagged this file; it was not accepted.")
    if not answer.endswith("OK"):
        raise ScanRefused("The virus scanner could not check this file; it was not accepted.")
