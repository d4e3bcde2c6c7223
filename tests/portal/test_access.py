"""Every URL requires a signed-in, second-factor-verified user, except the public allowlist.

The URL conf is walked, so a view added later cannot forget the rule (P34, P38).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.fixtures.people import signed_in_client
from tests.portal.urlwalk import all_routes

PUBLIC = {"login", "healthz", "webhooks-telnyx"}
# Reachable after the password but before the second factor.
OTP_EXEMPT = {"otp-verify", "logout"}

ROUTES = all_routes()
PRIVATE_ROUTES = [r for r in ROUTES if r.view_name not in PUBLIC]


def redirect_target(response) -> tuple[str, str]:
    location = response["Location"]
    parts = urlsplit(location)
    return parts.path, parse_qs(parts.query).get("next", [""])[0]


def test_the_walk_covers_the_whole_project():
    names = {r.view_name for r in ROUTES}
    assert {"home", "login", "healthz", "admin:index", "password_change"} <= names
    assert len(ROUTES) > 20


def test_only_login_healthz_and_the_webhook_are_public(settings):
    allowlisted = set(settings.PUBLIC_URL_NAMES) & {r.view_name for r in ROUTES}
    assert allowlisted <= PUBLIC | {"orders:webhooks-telnyx"}
    assert {"login", "healthz"} <= allowlisted


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_requests_to_every_private_url_are_sent_to_login(method):
    client = Client()
    login = reverse("login")
    wrong = []
    for route in PRIVATE_ROUTES:
        response = getattr(client, method)(route.path)
        if method == "post" and response.status_code == 403:
            continue  # CSRF refused it first: equally closed
        if response.status_code != 302 or redirect_target(response) != (login, route.path):
            wrong.append(f"{route}: {response.status_code} {response.get('Location')}")
    assert not wrong, "reachable without login:\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_anonymous_htmx_requests_get_hx_redirect_to_login_for_the_page_not_the_fragment():
    client = Client(headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/orders/"})
    wrong = []
    for route in PRIVATE_ROUTES:
        response = client.get(route.path)
        target = response.get("HX-Redirect", "")
        if response.status_code != 200 or target != f"{reverse('login')}?next=/orders/":
            wrong.append(f"{route}: {response.status_code} HX-Redirect={target!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_public_urls_answer_anonymous_visitors():
    client = Client()
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("healthz")).status_code in {200, 503}
    webhook = client.post("/webhooks/telnyx", data=b"{}", content_type="application/json")
    assert webhook.status_code != 302  # answered by the webhook view, not the login redirect


@pytest.mark.django_db
def test_p38_a_password_only_session_is_sent_to_the_second_factor_everywhere(alice):
    client = signed_in_client(alice, verified=False)
    otp = reverse("otp-verify")
    wrong = []
    for route in PRIVATE_ROUTES:
        if route.view_name in OTP_EXEMPT:
            continue
        response = client.get(route.path)
        if response.status_code != 302 or redirect_target(response) != (otp, route.path):
            wrong.append(f"{route}: {response.status_code} {response.get('Location')}")
    assert not wrong, "reachable without a second factor:\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_a_verified_user_reaches_the_home_page(alice_client):
    response = alice_client.get(reverse("home"))
    assert response.status_code == 200
    assert b"Welcome, alice" in response.content


@pytest.mark.django_db
def test_without_the_otp_requirement_a_password_is_enough(settings, alice):
    settings.PORTAL_REQUIRE_OTP = False
    client = signed_in_client(alice, verified=False)
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_p34_an_outsider_without_a_role_sees_no_app_pages(olga_client):
    wrong = []
    for route in PRIVATE_ROUTES:
        if not route.view_name.startswith(("orders:", "compliance:", "admin:")):
            continue
        if route.view_name in {"admin:login", "admin:logout"}:
            continue
        response = olga_client.get(route.path)
        if 200 <= response.status_code < 300:
            wrong.append(f"{route}: {response.status_code}")
    assert not wrong, "an outsider got through:\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_signed_in_pages_are_not_stored_by_browsers_and_vary_on_htmx(alice_client):
    response = alice_client.get(reverse("home"))
    assert "no-store" in response["Cache-Control"]
    assert "HX-Request" in response["Vary"]


def test_p8_the_webhook_is_the_only_csrf_exempt_view():
    from django.urls import resolve

    exempt = {r.view_name for r in ROUTES if getattr(resolve(r.path).func, "csrf_exempt", False)}
    assert exempt <= {"webhooks-telnyx"}


@pytest.mark.django_db
def test_p36_every_post_without_a_csrf_token_is_refused(maria):
    client = signed_in_client(maria, enforce_csrf_checks=True)
    accepted = []
    for route in ROUTES:
        if route.view_name == "webhooks-telnyx":
            continue
        response = client.post(route.path, {"anything": "1"})
        if response.status_code != 403:
            accepted.append(f"{route}: {response.status_code}")
    assert not accepted, "POST accepted without a CSRF token:\n" + "\n".join(accepted)
