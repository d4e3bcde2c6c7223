"""Upload, preview and download of documents through the portal's views (P26, P29, P32, P43)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.documents.intake import ingest
from compliance.models import AuditEntry, Document, DocumentAccess
from tests.compliance import samples

pytestmark = pytest.mark.django_db

UPLOAD = "compliance:document-upload"


def _post(client, data: bytes, name: str, **extra):
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(reverse(UPLOAD), {"file": upload}, **extra)


@pytest.fixture
def document(alice, upload_file):
    return ingest(upload_file(samples.pdf(), "Jane Canary passport.pdf"), uploaded_by=alice)


def test_it_accepts_a_pdf_and_shows_its_preview(alice_client, vault_root):
    response = _post(alice_client, samples.pdf(), "passport.pdf", headers={"HX-Request": "true"})
    assert response.status_code == 200
    document = Document.objects.get()
    assert str(document.public_id) in response.content.decode()
    assert document.get_preview_url() in response.content.decode()
    assert response["Cache-Control"].count("no-store") == 1
    assert AuditEntry.objects.filter(action="document.uploaded").count() == 1


def test_p26_an_oversize_upload_is_stopped_by_the_handler_and_leaves_nothing(
    alice_client, settings, vault_root, tmp_path
):
    settings.DOCUMENT_MAX_BYTES = 200 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024  # force the temp-file handler
    big = samples.pdf() + b"\0" * (400 * 1024)
    response = _post(alice_client, big, "big.pdf")
    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    assert Document.objects.count() == 0
    assert not vault_root.exists() or list(vault_root.iterdir()) == []
    assert list((tmp_path / "uploads").iterdir()) == []


def test_p26_an_oversize_upload_shows_the_error_inline_for_htmx(alice_client, settings):
    settings.DOCUMENT_MAX_BYTES = 100 * 1024
    response = _post(
        alice_client, samples.png() + b"\0" * (200 * 1024), "x.png", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "data-upload-error" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (samples.windows_executable(), "invoice.pdf", "not a PDF, JPEG or PNG"),
        (samples.png_html_polyglot(), "scan.png", "polyglot"),
        (b"", "empty.pdf", "empty"),
        (samples.pdf(), "../../../etc/passwd", "extension does not match"),
    ],
    ids=["renamed_executable", "polyglot", "empty_file", "path_traversal_name"],
)
def test_p27_bad_uploads_get_400_with_a_clear_message(
    alice_client, vault_root, data, name, message
):
    response = _post(alice_client, data, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Document.objects.count() == 0
    assert not vault_root.exists() or list(vault_root.iterdir()) == []
    assert AuditEntry.objects.filter(action="document.upload_refused").count() == 1


def test_p30_several_files_in_one_field_are_refused(alice_client):
    files = [
        SimpleUploadedFile("a.pdf", samples.pdf()),
        SimpleUploadedFile("evil.html", b"<html></html>"),
    ]
    response = alice_client.post(reverse(UPLOAD), {"file": files})
    assert response.status_code == 400
    assert Document.objects.count() == 0


def test_p35_a_user_without_the_permission_cannot_upload(olga_client):
    response = _post(olga_client, samples.pdf(), "passport.pdf")
    assert response.status_code == 404
    assert Document.objects.count() == 0


def test_p32_download_is_an_attachment_that_is_not_cached_sniffed_or_rendered(
    alice_client, document
):
    response = alice_client.get(document.get_download_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "JaneCanary" in response["Content-Disposition"].replace(" ", "").replace("%20", "")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_p43_every_download_and_preview_is_logged(alice_client, alice, document):
    alice_client.get(document.get_download_url())
    alice_client.get(document.get_preview_url())
    purposes = list(DocumentAccess.objects.values_list("purpose", "user_id"))
    assert sorted(purposes) == [("download", alice.pk), ("preview", alice.pk)]
    audit = AuditEntry.objects.filter(action="document.download").get()
    assert audit.actor_label == "alice"
    assert audit.path == document.get_download_url()
    assert audit.target_id == str(document.public_id)


def test_p32_anonymous_users_are_sent_to_login(client, document):
    response = client.get(document.get_download_url())
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert DocumentAccess.objects.count() == 0


def test_p34_a_user_without_permission_gets_404_and_nothing_is_logged(olga_client, document):
    assert olga_client.get(document.get_download_url()).status_code == 404
    assert olga_client.get(document.get_preview_url()).status_code == 404
    assert DocumentAccess.objects.count() == 0


def test_p32_the_stored_file_is_not_reachable_under_media(alice_client, document):
    assert alice_client.get(f"/media/{document.storage_name}").status_code == 404
    assert alice_client.get(f"/media/documents/{document.storage_name}").status_code == 404


def test_p29_download_headers_never_carry_crlf_from_a_filename(alice_client, alice, upload_file):
    doc = ingest(upload_file(samples.png(), "a\r\nSet-Cookie: x=1.png"), uploaded_by=alice)
    response = alice_client.get(doc.get_download_url())
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    assert "Set-Cookie" not in response.cookies


def test_p43_the_admin_change_view_of_a_document_is_logged(maria_client, maria, document):
    url = reverse("admin:compliance_document_change", args=[document.pk])
    response = maria_client.get(url)
    assert response.status_code == 200
    assert document.get_preview_url() in response.content.decode()
    assert list(DocumentAccess.objects.values_list("purpose", "user_id")) == [
        ("admin_view", maria.pk)
    ]


def test_the_form_widget_upload_returns_a_hidden_input_named_after_the_requirement(
    alice_client, sub_order
):
    upload = SimpleUploadedFile("bill.png", samples.png(), content_type="image/png")
    response = alice_client.post(
        reverse(UPLOAD),
        {
            "file_req_abc": upload,
            "field": "req_abc",
            "file_field": "file_req_abc",
            "sub_order": str(sub_order.public_id),
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    document = Document.objects.get()
    assert document.sub_order == sub_order
    body = response.content.decode()
    assert f'name="req_abc" value="{document.public_id}"' in body
    assert 'id="upload-result-req_abc"' in body


def test_p26_too_many_files_in_one_request_get_400(alice_client, settings):
    files = [SimpleUploadedFile(f"f{i}.png", samples.png()) for i in range(25)]
    response = alice_client.post(reverse(UPLOAD), {"file": files})
    assert response.status_code == 400
    assert Document.objects.count() == 0


def test_p44_a_refused_upload_is_a_security_log_line_without_the_file_name(alice_client, caplog):
    _post(alice_client, samples.windows_executable(), "Jane-Canary-passport.pdf")
    (record,) = [r for r in caplog.records if r.name == "portal.security"]
    event = record.security_event
    assert (event["action"], event["actor"], event["outcome"]) == (
        "document.upload",
        "alice",
        "refused",
    )
    assert event["reason"].startswith("This file is not a PDF, JPEG or PNG document")
    assert "Canary" not in record.getMessage()


def test_p44_a_denied_document_read_is_logged(olga_client, document, caplog):
    olga_client.get(document.get_download_url())
    events = [r.security_event for r in caplog.records if r.name == "portal.security"]
    assert [(e["action"], e["actor"], e["object"], e["outcome"]) for e in events] == [
        ("document.read", "olga", f"document:{document.public_id}", "denied")
    ]


def test_p52_a_decompression_bomb_upload_gets_400_with_a_clear_message(
    alice_client, settings, vault_root
):
    from tests.compliance import hostile

    settings.DOCUMENT_MAX_EXPANDED_MB = 64
    data, name = hostile.bombs(256 * hostile.MIB)["content_stream_bomb"]
    response = _post(alice_client, data, name)
    assert response.status_code == 400
    assert "expands to more than 64 MB" in response.content.decode().replace("&#x27;", "'")
    assert Document.objects.count() == 0
    assert not vault_root.exists() or list(vault_root.iterdir()) == []
