"""Security events: one structured UTC record per event, safe from log injection (P44, P41)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse

from portal.security_events import escape, security_event
from portal.views import permission_denied
from tests.compliance import samples
from tests.fixtures.people import PASSWORD, signed_in_client, totp_token

pytestmark = pytest.mark.django_db

FIELDS = {"ts", "actor", "action", "object", "outcome", "request_id"}
INJECTED_PATH = "/x%0aFAKE%20ENTRY%1b%5B31mRED%1b%5B0m"


def events(caplog: pytest.LogCaptureFixture, action: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "portal.security" and r.security_event["action"] == action
    ]


def one_event(caplog: pytest.LogCaptureFixture, action: str) -> dict:
    """The single record of ``action``, checked for the fields every event carries."""
    (record,) = events(caplog, action)
    event = record.security_event
    assert event.keys() >= FIELDS
    assert json.loads(record.getMessage()) == event  # the message is the same record, as JSON
    ts = datetime.fromisoformat(event["ts"])
    assert ts.utcoffset() == timedelta(0)
    return event


def login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_p44_a_sign_in_is_one_record_with_the_request_id_of_the_answer(settings, alice, caplog):
    settings.PORTAL_REQUIRE_OTP = False
    response = login(Client(), "alice", PASSWORD)
    assert response.status_code == 302
    event = one_event(caplog, "login.success")
    assert (event["actor"], event["outcome"]) == ("alice", "success")
    assert event["request_id"] == response["X-Request-ID"]
    assert event["ip"] == "127.0.0.1"


def test_p44_a_failed_sign_in_is_one_record_without_the_password(alice, caplog):
    password = "Canary-Passw0rd-never-logged"
    response = login(Client(), "alice", password)
    assert response.status_code == 200
    event = one_event(caplog, "login.failure")
    assert (event["actor"], event["object"], event["outcome"]) == ("anonymous", "alice", "failure")
    assert event["request_id"] == response["X-Request-ID"]
    assert password not in caplog.text
    assert all(
        password not in json.dumps(r.security_event) for r in events(caplog, "login.failure")
    )
    # Levels: operators alert on WARNING, so a failure must not be INFO.
    assert events(caplog, "login.failure")[0].levelno == logging.WARNING


def test_p44_a_crafted_user_name_cannot_forge_a_log_line(alice, caplog):
    login(Client(), 'bob\n2026-01-01 INFO portal.security {"outcome": "success"}\x1b[31m', "x")
    event = one_event(caplog, "login.failure")
    assert event["object"] == (
        'bob\\n2026-01-01 INFO portal.security {"outcome": "success"}\\x1b[31m'
    )
    message = events(caplog, "login.failure")[0].getMessage()
    assert "\n" not in message and "\x1b" not in message


def test_p44_a_lockout_is_one_record(settings, alice, caplog):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "alice", "wrong-password")
    event = one_event(caplog, "login.lockout")
    assert (event["object"], event["outcome"]) == ("alice", "locked")
    assert len(events(caplog, "login.failure")) == settings.AXES_FAILURE_LIMIT
    assert login(client, "alice", PASSWORD).status_code == 429


def test_p44_a_wrong_second_factor_code_is_one_record_without_the_code(alice, caplog):
    client = signed_in_client(alice, verified=False)
    wrong = "000000" if totp_token(alice) != "000000" else "111111"
    response = client.post(reverse("otp-verify"), {"token": wrong})
    event = one_event(caplog, "otp.failure")
    assert (event["actor"], event["object"], event["outcome"]) == (
        "alice",
        f"user:{alice.pk}",
        "failure",
    )
    assert event["request_id"] == response["X-Request-ID"]
    assert wrong not in json.dumps(event)


def test_p44_a_permission_denied_is_one_record(olga_client, caplog):
    response = olga_client.get(reverse("admin:login"))
    assert response.status_code == 403
    event = one_event(caplog, "authz.denied")
    assert (event["actor"], event["object"], event["outcome"]) == ("olga", "admin:login", "denied")
    assert event["path"] == reverse("admin:login")
    assert event["request_id"] == response["X-Request-ID"]


def test_p44_a_refused_upload_is_one_record_without_the_file_name(alice_client, caplog):
    upload = SimpleUploadedFile("Jane-Canary-passport.pdf", samples.windows_executable())
    response = alice_client.post(reverse("compliance:document-upload"), {"file": upload})
    assert response.status_code == 400
    event = one_event(caplog, "document.upload")
    assert (event["actor"], event["outcome"]) == ("alice", "refused")
    assert "Canary" not in caplog.text


def test_p44_an_injected_path_shows_escaped_in_the_record(olga, caplog):
    request = RequestFactory().get(INJECTED_PATH)
    request.user = olga
    request.request_id = "req-0123456789"
    assert request.path == "/x\nFAKE ENTRY\x1b[31mRED\x1b[0m"  # what an attacker gets through
    permission_denied(request, PermissionDenied())
    event = one_event(caplog, "authz.denied")
    assert event["path"] == "/x\\nFAKE ENTRY\\x1b[31mRED\\x1b[0m"
    assert event["request_id"] == "req-0123456789"
    for record in events(caplog, "authz.denied"):
        assert not any(c in record.getMessage() for c in "\n\r\x1b")


def test_p44_the_request_id_header_is_kept_only_when_it_is_a_plain_token(alice_client):
    kept = alice_client.get(reverse("home"), headers={"X-Request-ID": "edge-4f2a9c-01"})
    assert kept["X-Request-ID"] == "edge-4f2a9c-01"
    replaced = alice_client.get(reverse("home"), headers={"X-Request-ID": "a\x1b[31m b"})
    assert replaced["X-Request-ID"] != "a\x1b[31m b"
    assert len(replaced["X-Request-ID"]) == 32 and replaced["X-Request-ID"].isalnum()


def test_p41_secret_looking_extra_fields_are_redacted(caplog):
    event = security_event(
        "telnyx.call", outcome="failure", api_key="KEY-canary", token="tok", status=422
    )
    assert (event["api_key"], event["token"], event["status"]) == ("[redacted]", "[redacted]", 422)
    assert "KEY-canary" not in caplog.text
    assert event["actor"] == "system" and event["request_id"] is None


def test_escape_keeps_text_readable_and_unambiguous():
    assert escape("José\tO'Brien") == "José\\tO'Brien"
    assert escape("a\\nb") == "a\\\\nb"  # a typed backslash-n is not mistaken for a newline
    assert escape("\u202eevil") == "\\u202eevil"  # a bidi override cannot reorder the line
    assert escape("a\u200bb\x85c\u2028d") == "a\\u200bb\\x85c\\u2028d"
    assert escape("x" * 500).endswith("...")
