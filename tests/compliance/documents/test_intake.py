"""The document intake pipeline: what is refused, what is stored; refusals leave nothing."""

from __future__ import annotations

import io

import pikepdf
import pytest
from PIL import Image

from compliance.documents import vault
from compliance.documents.intake import DocumentRefused, ingest
from compliance.models import Document
from tests.compliance import samples

pytestmark = pytest.mark.django_db


def _nothing_left(vault_root) -> None:
    assert Document.objects.count() == 0
    assert not vault_root.exists() or list(vault_root.iterdir()) == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (samples.windows_executable(), "passport.pdf", "not a PDF, JPEG or PNG"),
        (samples.png_html_polyglot(), "scan.png", "polyglot"),
        (b"", "empty.pdf", "The file is empty"),
        (samples.zip_bytes(), "contract.pdf", "not a PDF, JPEG or PNG"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>", "x.png", "not a PDF"),
        (b"<html><script>alert(1)</script></html>", "page.pdf", "not a PDF, JPEG or PNG"),
        (samples.png(), "x.jpg.php", "extension does not match"),
        (samples.png(), "photo.jpg", "extension does not match"),
        (samples.jpeg_with_gps()[:300], "truncated.jpg", "damaged or truncated"),
        (samples.pdf_with_javascript(), "form.pdf", "JavaScript"),
        (samples.pdf_with_embedded_file(), "bundle.pdf", "embedded files"),
        (samples.pdf(), "../../etc/passwd", "extension does not match"),
    ],
    ids=[
        "p27_renamed_executable",
        "p27_png_html_polyglot",
        "empty_file",
        "p27_zip_renamed_pdf",
        "p27_svg",
        "p27_html",
        "p27_double_extension",
        "p27_extension_mismatch",
        "p27_truncated_jpeg",
        "p27_pdf_javascript",
        "p27_pdf_embedded_file",
        "p29_path_traversal_name",
    ],
)
def test_p27_it_refuses_bad_files_with_a_clear_message_and_keeps_nothing(
    data, name, message, upload_file, vault_root, alice
):
    with pytest.raises(DocumentRefused, match=message):
        ingest(upload_file(data, name), uploaded_by=alice)
    _nothing_left(vault_root)


def test_p26_it_refuses_a_file_over_the_cap(settings, upload_file, vault_root, alice):
    settings.DOCUMENT_MAX_BYTES = 1024
    with pytest.raises(DocumentRefused, match="larger than"):
        ingest(upload_file(samples.pdf() + b"\0" * 2048, "big.pdf"), uploaded_by=alice)
    _nothing_left(vault_root)


def test_p28_it_refuses_a_pixel_bomb_quickly(upload_file, vault_root, alice):
    bomb = samples.pixel_bomb_png()
    assert len(bomb) < 200_000
    with pytest.raises(DocumentRefused, match="too many pixels"):
        ingest(upload_file(bomb, "bomb.png"), uploaded_by=alice)
    _nothing_left(vault_root)


def test_p28_it_refuses_a_pdf_with_too_many_pages(settings, upload_file, vault_root, alice):
    settings.DOCUMENT_MAX_PDF_PAGES = 3
    with pytest.raises(DocumentRefused, match="4 pages"):
        ingest(upload_file(samples.pdf(pages=4), "long.pdf"), uploaded_by=alice)
    _nothing_left(vault_root)


def test_p46_it_strips_exif_and_gps_from_jpegs(upload_file, alice):
    original = samples.jpeg_with_gps()
    assert b"CANARY-EXIF-Berlin" in original
    document = ingest(upload_file(original, "id-card.jpg", "image/jpeg"), uploaded_by=alice)
    stored = vault.get(document.storage_name)
    assert b"CANARY-EXIF-Berlin" not in stored
    assert b"Jane Canary" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert dict(image.getexif()) == {}
        assert image.size == (64, 48)
    assert document.content_type == "image/jpeg"


def test_p46_it_drops_pdf_author_metadata(upload_file, alice):
    document = ingest(
        upload_file(samples.pdf(author="Jane Canary"), "proof.pdf"), uploaded_by=alice
    )
    with pikepdf.open(io.BytesIO(vault.get(document.storage_name))) as pdf:
        assert "/Author" not in pdf.docinfo
    assert document.page_count == 1


def test_p33_stored_bytes_and_names_are_encrypted(upload_file, vault_root, alice):
    from django.db import connection

    document = ingest(
        upload_file(samples.pdf(text_marker="CANARYPASSPORT123"), "Jane-Canary-passport.pdf"),
        uploaded_by=alice,
    )
    raw = b"".join(p.read_bytes() for p in vault_root.iterdir())
    assert b"CANARYPASSPORT123" not in raw
    assert b"%PDF" not in raw
    with pikepdf.open(io.BytesIO(vault.get(document.storage_name))) as pdf:
        assert b"CANARYPASSPORT123" in pdf.pages[0].Contents.read_bytes()
    with connection.cursor() as cursor:
        cursor.execute("select original_filename from compliance_document")
        (stored_name,) = cursor.fetchone()
    assert "Jane-Canary" not in stored_name
    assert Document.objects.get().original_filename == "Jane-Canary-passport.pdf"


def test_p33_a_wrong_key_fails_loudly_and_rotation_lets_old_keys_go(settings, upload_file, alice):
    from cryptography.fernet import Fernet

    document = ingest(upload_file(samples.png(), "scan.png"), uploaded_by=alice)
    old_key = settings.DOCUMENT_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.DOCUMENT_ENCRYPTION_KEYS = [new_key]
    with pytest.raises(vault.VaultKeyError):
        vault.get(document.storage_name)
    settings.DOCUMENT_ENCRYPTION_KEYS = [new_key, old_key]
    vault.rotate(document.storage_name)
    settings.DOCUMENT_ENCRYPTION_KEYS = [new_key]
    assert vault.get(document.storage_name).startswith(b"\x89PNG")


def test_p29_stored_names_are_uuids_whatever_the_user_called_the_file(
    upload_file, vault_root, alice
):
    name = "\u202eAnnual" + "x" * 300 + "\r\nSet-Cookie: a=b.png"
    document = ingest(upload_file(samples.png(), name), uploaded_by=alice)
    assert [p.name for p in vault_root.iterdir()] == sorted(
        [document.storage_name, document.preview_name],
        key=[p.name for p in vault_root.iterdir()].index,
    )
    assert all(len(p.name) == 32 for p in vault_root.iterdir())
    assert "\r" not in document.original_filename and "\n" not in document.original_filename
    assert "\u202e" not in document.original_filename
    assert len(document.original_filename) <= 200
    assert document.original_filename.endswith(".png")


def test_it_keeps_a_sha256_and_a_preview_of_the_first_pdf_page(upload_file, alice):
    import hashlib

    document = ingest(upload_file(samples.pdf(), "proof.pdf"), uploaded_by=alice)
    assert document.sha256 == hashlib.sha256(vault.get(document.storage_name)).hexdigest()
    with Image.open(io.BytesIO(vault.get(document.preview_name))) as preview:
        assert preview.format == "PNG"
        assert max(preview.size) <= 480


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", "evil\x00.pdf", "..", "\u202e\u200b"]
)
def test_p29_the_sanitizer_refuses_paths_nul_and_empty_names(name):
    from compliance.documents.filenames import UnsafeFilename, sanitize_filename

    with pytest.raises(UnsafeFilename):
        sanitize_filename(name)


def test_p33_the_rotation_command_lets_the_old_key_be_dropped(settings, upload_file, alice):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from compliance.models import SavedAddress

    document = ingest(upload_file(samples.png(), "scan.png"), uploaded_by=alice)
    address = SavedAddress.objects.create(label="HQ", fields={"locality": "Berlin"})
    old_key = settings.DOCUMENT_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.DOCUMENT_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_document_keys")
    settings.DOCUMENT_ENCRYPTION_KEYS = [new_key]
    assert vault.get(document.storage_name).startswith(b"\x89PNG")
    assert vault.get(document.preview_name).startswith(b"\x89PNG")
    assert Document.objects.get(pk=document.pk).original_filename == "scan.png"
    assert SavedAddress.objects.get(pk=address.pk).fields == {"locality": "Berlin"}


def test_p46_a_rotated_photo_is_stored_upright_without_its_exif(upload_file, alice):
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    exif[0x013B] = "Jane Canary"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    document = ingest(upload_file(out.getvalue(), "id.jpg"), uploaded_by=alice)
    with Image.open(io.BytesIO(vault.get(document.storage_name))) as stored:
        assert stored.size == (48, 64)
        assert dict(stored.getexif()) == {}
