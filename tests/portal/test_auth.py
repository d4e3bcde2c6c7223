"""Sign-in, sign-out, password change, login throttling and the second factor (P37-P39)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.fixtures.people import PASSWORD, signed_in_client, totp_token

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_login_with_the_right_password_goes_to_the_requested_page(settings, alice):
    settings.PORTAL_REQUIRE_OTP = False
    client = Client()
    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD, "next": "/accounts/otp/"}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_login_with_a_wrong_password_stays_on_the_form_with_an_error(alice):
    response = login(Client(), "alice", "wrong")
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_login_refuses_to_redirect_to_another_site(settings, alice):
    settings.PORTAL_REQUIRE_OTP = False
    response = Client().post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("home")


def test_p39_logout_is_post_only_and_clears_the_browser(alice_client):
    assert alice_client.get(reverse("logout")).status_code == 405
    response = alice_client.post(reverse("logout"))
    assert response.status_code == 302
    assert "storage" in response["Clear-Site-Data"] and "cache" in response["Clear-Site-Data"]
    assert alice_client.get(reverse("home")).status_code == 302


def test_p36_logout_without_a_csrf_token_is_refused(alice):
    client = signed_in_client(alice, enforce_csrf_checks=True)
    assert client.post(reverse("logout")).status_code == 403
    assert client.get(reverse("home")).status_code == 200


def test_p39_a_password_change_ends_the_other_sessions(alice):
    laptop = signed_in_client(alice)
    phone = signed_in_client(alice)
    response = laptop.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-77",
            "new_password2": "another-long-passphrase-77",
        },
    )
    assert response.status_code == 302
    assert laptop.get(reverse("home")).status_code == 200
    assert phone.get(reverse("home")).status_code == 302


# --- P37: login throttling -------------------------------------------------------------------


def fail_until_locked(settings, client: Client, username: str, **extra) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, username, "wrong-password", **extra)


def test_p37_repeated_failures_lock_the_account_even_for_the_right_password(
    settings, alice, caplog
):
    client = Client()
    fail_until_locked(settings, client, "alice")
    assert any("Locking out" in r.getMessage() for r in caplog.records)  # the lockout is logged
    assert PASSWORD not in caplog.text
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert AccessAttempt.objects.filter(username="alice").exists()


def test_p37_a_lockout_does_not_lock_out_the_same_user_from_another_address(settings, alice):
    fail_until_locked(settings, Client(REMOTE_ADDR="203.0.113.9"), "alice")
    response = login(Client(REMOTE_ADDR="198.51.100.7"), "alice", PASSWORD)
    assert response.status_code == 302


def test_p37_a_lockout_does_not_lock_out_other_users_at_the_same_address(settings, alice, maria):
    client = Client(REMOTE_ADDR="203.0.113.9")
    fail_until_locked(settings, client, "alice")
    assert login(client, "maria", PASSWORD).status_code == 302


def test_p37_a_spoofed_forwarded_for_header_does_not_escape_the_lockout(settings, alice):
    client = Client(REMOTE_ADDR="203.0.113.9")
    fail_until_locked(settings, client, "alice")
    response = login(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.44")
    assert response.status_code == 429


def test_p37_the_lock_ends_after_the_cool_off(settings, alice):
    with time_machine.travel("2026-01-05 09:00:00Z", tick=False) as clock:
        client = Client()
        fail_until_locked(settings, client, "alice")
        assert login(client, "alice", PASSWORD).status_code == 429
        clock.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        assert login(client, "alice", PASSWORD).status_code == 302


# --- P38: the second factor ------------------------------------------------------------------


def test_p38_the_code_from_the_authenticator_completes_the_sign_in(alice):
    client = Client()
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 302
    response = client.get(reverse("home"))
    assert response["Location"].startswith(reverse("otp-verify"))
    page = client.get(response["Location"])
    assert b"Enter your code" in page.content
    assert "no-store" in page["Cache-Control"]
    response = client.post(reverse("otp-verify"), {"token": totp_token(alice), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get(reverse("home")).status_code == 200


def test_p38_a_wrong_code_is_refused_with_a_message_and_logged(alice, caplog):
    client = signed_in_client(alice, verified=False)
    wrong = "000000" if totp_token(alice) != "000000" else "111111"
    response = client.post(reverse("otp-verify"), {"token": wrong})
    assert response.status_code == 200
    assert b"That code was not accepted" in response.content
    events = [r.security_event for r in caplog.records if r.name == "portal.security"]
    (event,) = [e for e in events if e["action"] == "otp.failure"]
    assert (event["actor"], event["object"], event["reason"]) == (
        "alice",
        f"user:{alice.pk}",
        "wrong",
    )
    assert wrong not in caplog.text
    assert client.get(reverse("home")).status_code == 302


def test_p38_after_ten_wrong_codes_even_the_right_code_is_refused(alice):
    client = signed_in_client(alice, verified=False)
    good = totp_token(alice)
    wrong = "000000" if good != "000000" else "111111"
    with time_machine.travel("2026-01-05 09:00:00Z", tick=True):
        for _ in range(10):
            client.post(reverse("otp-verify"), {"token": wrong})
        response = client.post(reverse("otp-verify"), {"token": totp_token(alice)})
    assert b"Too many wrong codes" in response.content
    assert client.get(reverse("home")).status_code == 302


def test_p38_a_user_without_a_device_enrols_one_then_gets_in():
    user = get_user_model().objects.create_user("newbie", password=PASSWORD)
    client = signed_in_client_without_device(user)
    page = client.get(reverse("otp-verify"))
    assert b"Set up your authenticator" in page.content
    assert b"data:image/svg+xml;base64," in page.content
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    device.confirmed = True  # only so totp_token() finds it; the view confirms it for real
    device.save()
    token = totp_token(user)
    device.confirmed = False
    device.save()
    response = client.post(reverse("otp-verify"), {"token": token})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("home")).status_code == 200


def signed_in_client_without_device(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


# --- Admin: managers only ----------------------------------------------------------------------


def test_a_manager_enters_the_admin(maria_client):
    response = maria_client.get("/admin/")
    assert response.status_code == 200
    assert b"Periodic tasks" in response.content  # beat schedules are editable by managers


def test_staff_without_the_manager_role_cannot_enter_the_admin(alice):
    alice.is_staff = True
    alice.save()
    client = signed_in_client(alice)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403


def test_an_outsider_cannot_enter_the_admin(olga_client):
    assert olga_client.get("/admin/", follow=True).status_code == 403


def test_p38_a_manager_without_the_second_factor_cannot_enter_the_admin(maria):
    client = signed_in_client(maria, verified=False)
    response = client.get("/admin/")
    assert response["Location"].startswith(reverse("otp-verify"))
    # Even if the portal-wide OTP redirect were switched off, the admin itself checks it.
    from portal.admin_site import user_may_use_admin

    request = client.get("/admin/", follow=False).wsgi_request
    assert not user_may_use_admin(request)
