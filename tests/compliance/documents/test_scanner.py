"""The optional ClamAV scan fails closed (P31).

clamd is not installed on this machine, so a small local server speaking clamd's INSTREAM
protocol plays it: it flags the EICAR test string, answers OK otherwise, or hangs up.
"""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from compliance.documents.intake import DocumentRefused, ingest
from compliance.models import Document
from tests.compliance import samples

pytestmark = pytest.mark.django_db

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class FakeClamd:
    def __init__(self, mode: str = "scan") -> None:
        self.mode = mode
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.port = self.server.getsockname()[1]
        self.scanned = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                if self.mode == "hangup":
                    continue
                conn.recv(len(b"zINSTREAM\0"))
                data = b""
                while True:
                    size = struct.unpack("!L", self._read(conn, 4))[0]
                    if not size:
                        break
                    data += self._read(conn, size)
                self.scanned += 1
                found = EICAR in data
                conn.sendall(b"stream: Eicar-Signature FOUND\0" if found else b"stream: OK\0")

    @staticmethod
    def _read(conn: socket.socket, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            part = conn.recv(n - len(buf))
            if not part:
                raise ConnectionError
            buf += part
        return buf

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def clamd(settings):
    server = FakeClamd()
    settings.CLAMAV_ADDRESS = f"tcp://127.0.0.1:{server.port}"
    settings.CLAMAV_TIMEOUT = 2
    yield server
    server.close()


def test_p31_a_clean_file_passes_the_scanner(clamd, upload_file, alice):
    document = ingest(upload_file(samples.pdf(), "clean.pdf"), uploaded_by=alice)
    assert document.scan_status == Document.Scan.CLEAN
    assert clamd.scanned == 1


def test_p31_an_infected_file_is_refused_and_kept_nowhere(clamd, upload_file, vault_root, alice):
    infected = samples.pdf() + b"\n%" + EICAR + b"\n"
    with pytest.raises(DocumentRefused, match="flagged"):
        ingest(upload_file(infected, "infected.pdf"), uploaded_by=alice)
    assert Document.objects.count() == 0
    assert not vault_root.exists() or list(vault_root.iterdir()) == []


def test_p31_a_scanner_that_is_down_refuses_the_upload(settings, upload_file, alice):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CLAMAV_ADDRESS = f"tcp://127.0.0.1:{port}"
    with pytest.raises(DocumentRefused, match="unavailable"):
        ingest(upload_file(samples.pdf(), "clean.pdf"), uploaded_by=alice)
    assert Document.objects.count() == 0


def test_p31_a_scanner_that_hangs_up_refuses_the_upload(settings, upload_file, alice):
    server = FakeClamd(mode="hangup")
    settings.CLAMAV_ADDRESS = f"tcp://127.0.0.1:{server.port}"
    try:
        with pytest.raises(DocumentRefused):
            ingest(upload_file(samples.pdf(), "clean.pdf"), uploaded_by=alice)
    finally:
        server.close()
    assert Document.objects.count() == 0
