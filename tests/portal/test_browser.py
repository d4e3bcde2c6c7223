"""A real browser signs in through the real forms, with the CSP on and htmx working."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import console_messages, csp_violations
from tests.fixtures.people import PASSWORD, totp_token

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_alice_signs_in_with_password_and_code_and_htmx_runs_under_the_csp(
    page, alice, live_server
):
    page.goto("/")
    assert "/accounts/login/" in page.url  # anonymous visitors are sent to the login form

    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/otp/**")

    page.get_by_label("Six-digit code from your authenticator app").fill(totp_token(alice))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Welcome, alice").is_visible()

    # htmx is loaded from our static files, configured from the meta tag, and an htmx request
    # round-trips and swaps without any CSP violation (no inline styles or scripts needed).
    assert page.evaluate("typeof htmx") == "object"
    page.evaluate("htmx.ajax('GET', '/', {target: '#main', select: '#main', swap: 'outerHTML'})")
    page.wait_for_function("document.querySelectorAll('#main h1').length === 1")
    page.wait_for_load_state("networkidle")
    assert csp_violations(page) == [], console_messages(page)
    assert page.locator("style").count() == 0
    errors = [m for m in console_messages(page) if m.startswith(("error", "pageerror"))]
    assert errors == []
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert page.evaluate("htmx.config.historyCacheSize") == 0
