"""Sessions are short, rotated and end cleanly, including for HTMX requests (P39, P42)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.fixtures.people import PASSWORD, signed_in_client

pytestmark = pytest.mark.django_db


def test_p39_an_idle_session_ends_and_the_next_page_asks_for_login(settings, alice):
    with time_machine.travel("2026-01-05 09:00:00Z", tick=False) as clock:
        client = signed_in_client(alice)
        assert client.get(reverse("home")).status_code == 200
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + 1))
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    follow = client.get(response["Location"])
    assert b"Your session has expired" in follow.content


def test_p39_an_expired_session_gets_hx_redirect_on_an_htmx_request(settings, alice):
    with time_machine.travel("2026-01-05 09:00:00Z", tick=False) as clock:
        client = signed_in_client(alice)
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + 1))
        response = client.get(
            reverse("home"),
            headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/orders/"},
        )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('login')}?next=/orders/"
    assert b"<form" not in response.content  # no login page pasted into a fragment


def test_p39_activity_keeps_a_session_alive_until_the_absolute_limit(settings, alice):
    step = timedelta(seconds=settings.SESSION_IDLE_TIMEOUT - 60)
    with time_machine.travel("2026-01-05 09:00:00Z", tick=False) as clock:
        client = signed_in_client(alice)
        elapsed = timedelta(0)
        while elapsed + step < timedelta(seconds=settings.SESSION_COOKIE_AGE):
            clock.shift(step)
            elapsed += step
            assert client.get(reverse("home")).status_code == 200, f"ended after {elapsed}"
        clock.shift(step)
        response = client.get(reverse("home"))
    assert response.status_code == 302


def test_p39_the_server_side_session_is_deleted_when_it_expires(settings, alice):
    with time_machine.travel("2026-01-05 09:00:00Z", tick=False) as clock:
        client = signed_in_client(alice)
        key = client.session.session_key
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + 1))
        client.get(reverse("home"))
    assert not Session.objects.filter(session_key=key).exists()


def test_p39_the_session_key_changes_at_login(alice):
    client = Client()
    client.get(reverse("login"))
    client.session.save()
    before = client.cookies["sessionid"].value if "sessionid" in client.cookies else None
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after and after != before


def test_p39_a_deactivated_user_is_signed_out_on_the_next_request(alice, alice_client):
    alice.is_active = False
    alice.save()
    response = alice_client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_p39_session_and_csrf_cookies_are_secure_httponly_and_samesite(settings, alice):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()
    client.get(reverse("login"))
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""  # browser-session cookie; the server enforces the limits
    assert client.cookies["csrftoken"]["secure"]


def test_the_production_session_limits_are_short(settings):
    assert 8 * 3600 <= settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert 0 < settings.SESSION_IDLE_TIMEOUT <= 3600


def test_security_headers_and_csp_without_inline_scripts(alice_client):
    response = alice_client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    # htmx is served by us (no CDN) and its inline indicator style is switched off.
    assert b"/static/django_htmx/htmx" in response.content
    assert b'"includeIndicatorStyles": false' in response.content
    assert b"<script>" not in response.content


@pytest.mark.urls("tests.portal.passive_urls")
def test_p39_background_polling_does_not_keep_an_unattended_session_alive(settings, alice):
    idle = timedelta(seconds=settings.SESSION_IDLE_TIMEOUT)
    with time_machine.travel("2026-01-05 09:00:00Z", tick=False) as clock:
        client = signed_in_client(alice)
        client.get(reverse("home"))
        for _ in range(3):
            clock.shift(idle / 3 - timedelta(seconds=1))
            assert client.get("/test-poll", headers={"HX-Request": "true"}).status_code == 200
        clock.shift(timedelta(seconds=10))
        response = client.get("/test-poll", headers={"HX-Request": "true"})
    assert "HX-Redirect" in response


@pytest.mark.urls("tests.portal.passive_urls")
def test_p39_a_click_does_keep_the_session_alive(settings, alice):
    idle = timedelta(seconds=settings.SESSION_IDLE_TIMEOUT)
    with time_machine.travel("2026-01-05 09:00:00Z", tick=False) as clock:
        client = signed_in_client(alice)
        for _ in range(4):
            clock.shift(idle / 3)
            assert client.get(reverse("home")).status_code == 200
