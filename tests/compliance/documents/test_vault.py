"""The vault's streaming encryption (P33, P52): round trips, old Fernet files, rotation into the
streaming format, wrong keys and tampering fail loudly, and no plaintext reaches the disk."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pikepdf
import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from compliance.documents import isolation, vault
from compliance.documents.intake import ingest
from compliance.models import Document, DocumentAccess
from tests.compliance import samples

pytestmark = pytest.mark.django_db

CANARY = b"CANARY-PLAINTEXT-7f3a"


def _payload(size: int = 700 * 1024) -> bytes:
    """Several 64 KiB segments of random bytes with a canary in the middle."""
    half = os.urandom(size // 2)
    return half + CANARY + os.urandom(size - len(half))


def _raw_vault(vault_root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in vault_root.iterdir())


def _legacy_fernet(data: bytes) -> str:
    """A file stored the way the vault stored everything before streaming (one Fernet token)."""
    name = os.urandom(16).hex()
    vault.path_of(name).write_bytes(vault.cipher().encrypt(data))
    return name


def test_p52_a_file_round_trips_in_chunks_in_the_streaming_format(vault_root):
    data = _payload()
    stored = vault.put_file(io.BytesIO(data))
    assert stored.size == len(data)
    assert vault.is_streamed(stored.name)
    assert CANARY not in _raw_vault(vault_root)
    assert vault.get(stored.name) == data
    with vault.open_plain(stored.name) as plain:
        assert vault.plain_size(plain) == len(data)
        plain.seek(300_000)
        assert plain.read(1000) == data[300_000:301_000]
        plain.seek(0)  # backwards: decrypts again from the start
        assert plain.read() == data


def test_p33_old_fernet_files_stay_readable_and_rotation_moves_them_to_the_streaming_format(
    settings, vault_root
):
    data = _payload()
    name = _legacy_fernet(data)
    assert not vault.is_streamed(name)
    assert vault.get(name) == data
    old_key = settings.DOCUMENT_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.DOCUMENT_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_document_keys", stdout=io.StringIO())
    assert vault.is_streamed(name)
    settings.DOCUMENT_ENCRYPTION_KEYS = [new_key]
    assert vault.get(name) == data
    assert CANARY not in _raw_vault(vault_root)


def test_p33_a_wrong_key_fails_loudly_before_a_download_starts(
    settings, alice_client, alice, upload_file
):
    document = ingest(upload_file(samples.pdf(), "proof.pdf"), uploaded_by=alice)
    settings.DOCUMENT_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(vault.VaultKeyError):
        vault.open_plain(document.storage_name)
    with pytest.raises(vault.VaultKeyError):
        alice_client.get(document.get_download_url())
    assert DocumentAccess.objects.count() == 0


def test_p33_a_tampered_or_moved_file_does_not_decrypt(vault_root):
    data = _payload()
    stored = vault.put_file(io.BytesIO(data))
    moved = os.urandom(16).hex()
    shutil.copyfile(vault.path_of(stored.name), vault.path_of(moved))
    with pytest.raises(vault.VaultKeyError):
        vault.get(moved)
    path = vault.path_of(stored.name)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(vault.VaultKeyError):
        vault.get(stored.name)
    path.write_bytes(bytes(raw[: len(raw) - 100]))
    with pytest.raises(vault.VaultKeyError):
        vault.get(stored.name)


def _large_pdf_with_canary(size: int) -> bytes:
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(200, 200))
    filler = os.urandom(size // 2).hex().encode()
    content = b"BT /F1 12 Tf 20 100 Td (" + CANARY + b") Tj ET\n% " + filler + b"\n"
    doc.pages[0].Contents = doc.make_stream(content)
    out = io.BytesIO()
    doc.save(out, compress_streams=False)
    return out.getvalue()


def test_p52_p33_an_upload_streams_through_nameless_temp_files_and_leaves_no_plaintext(
    alice_client, settings, vault_root, monkeypatch
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024  # the file goes to a temporary file
    data = _large_pdf_with_canary(1024 * 1024)
    assert len(data) > 1024 * 1024 and CANARY in data
    temp_dir = Path(settings.FILE_UPLOAD_TEMP_DIR)
    seen_during_check: list[list[str]] = []
    real_check = isolation.check

    def watching_check(*args):
        seen_during_check.append(os.listdir(temp_dir))
        return real_check(*args)

    monkeypatch.setattr(isolation, "check", watching_check)
    response = alice_client.post(
        reverse("compliance:document-upload"),
        {"file": SimpleUploadedFile("passport.pdf", data, content_type="application/pdf")},
    )
    assert response.status_code == 201
    # The upload and the cleaned copy were real files while checked, yet had no name on disk.
    assert seen_during_check == [[]]
    assert list(temp_dir.iterdir()) == []
    raw = _raw_vault(vault_root)
    assert CANARY not in raw and b"%PDF" not in raw
    document = Document.objects.get()
    assert all(vault.is_streamed(n) for n in (document.storage_name, document.preview_name))
    with pikepdf.open(io.BytesIO(vault.get(document.storage_name))) as pdf:
        assert CANARY in pdf.pages[0].Contents.read_bytes()


def test_p52_a_download_is_streamed_with_its_length(alice_client, alice, upload_file):
    data = _large_pdf_with_canary(400 * 1024)
    document = ingest(upload_file(data, "proof.pdf"), uploaded_by=alice)
    response = alice_client.get(document.get_download_url())
    assert response.streaming
    assert int(response["Content-Length"]) == document.size
    body = b"".join(response.streaming_content)
    assert body == vault.get(document.storage_name)
    assert response["Content-Disposition"].startswith("attachment;")


def test_p52_a_stored_document_goes_to_telnyx_decrypted_in_chunks(sandbox, vault_root, tmp_path):
    import tracemalloc

    from portal.telnyx import get_client

    content = b"%PDF-1.4\n" + os.urandom(19 * 1024 * 1024) + b"\n%%EOF\n"
    source = tmp_path / "scan.pdf"
    source.write_bytes(content)
    with source.open("rb") as fh:
        stored = vault.put_file(fh)
    source.unlink()
    del content
    client = get_client()
    tracemalloc.start()
    try:
        with vault.open_plain(stored.name) as plain:
            document = client.upload_document(plain, "scan.pdf", content_type="application/pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Decrypted and sent a segment at a time: never the whole 19 MB in memory.
    assert peak < 2 * 1024 * 1024
    assert document.size.amount == stored.size
    assert client.download_document(document.id) == vault.get(stored.name)


def test_p33_a_document_stored_before_streaming_still_downloads(alice_client, alice, upload_file):
    document = ingest(upload_file(samples.pdf(), "proof.pdf"), uploaded_by=alice)
    plain = vault.get(document.storage_name)
    vault.path_of(document.storage_name).write_bytes(vault.cipher().encrypt(plain))
    assert not vault.is_streamed(document.storage_name)
    response = alice_client.get(document.get_download_url())
    assert int(response["Content-Length"]) == len(plain)
    assert b"".join(response.streaming_content) == plain
