"""Browser pages for the journeys: each one records what a person would see go wrong.

``Watched`` wraps a Playwright page in its own context and keeps every console error, uncaught
script error, CSP violation, server error (5xx) and htmx write sent without its CSRF token (P36)
seen on any page it visited, across full navigations, so a test can assert at the end that the
whole journey ran clean (a violation on page 2 is not lost when page 3 loads). ``sign_in``
goes through the real login and OTP forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fixtures.people import PASSWORD, totp_token

# Runs before any page script and is not subject to the page's CSP; the binding survives
# navigations, unlike a window variable.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__portalReportCsp(
    e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' at ' + e.documentURI
  );
});
"""


@dataclass
class Watched:
    """A page in a fresh browser context, and the problems seen on it so far."""

    context: Any
    page: Any
    problems: list[str] = field(default_factory=list)
    htmx_writes: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Any, base_url: str) -> Watched:
        context = browser.new_context(base_url=base_url)
        context.set_default_timeout(15_000)
        watched = cls(context=context, page=None)
        context.expose_binding(
            "__portalReportCsp", lambda source, text: watched.problems.append(f"csp: {text}")
        )
        context.add_init_script(_REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        page.on("console", watched._on_console)
        page.on("pageerror", lambda error: watched.problems.append(f"pageerror: {error}"))
        page.on("request", watched._on_request)
        page.on("response", watched._on_response)
        watched.page = page
        return watched

    def _on_console(self, message: Any) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            source = message.location.get("url") or self.page.url
            self.problems.append(f"console {message.type}: {message.text} ({source})")

    def _on_request(self, request: Any) -> None:
        # P36: every htmx write carries the CSRF token that <body hx-headers> provides.
        headers = request.headers
        writes = request.method not in {"GET", "HEAD", "OPTIONS"}
        if writes and headers.get("hx-request") == "true" and not headers.get("x-csrftoken"):
            self.problems.append(f"htmx write without X-CSRFToken: {request.method} {request.url}")
        if writes and headers.get("hx-request") == "true":
            self.htmx_writes.append(f"{request.method} {request.url}")

    def _on_response(self, response: Any) -> None:
        if response.status >= 500:
            self.problems.append(
                f"http {response.status}: {response.request.method} {response.url}"
            )

    def close(self) -> None:
        self.context.close()


def sign_in(page: Any, user: Any, base_url: str) -> None:
    """Password, then the six-digit code, through the real forms; ends on the home page."""
    page.goto("/accounts/login/")
    complete_sign_in(page, user)
    page.wait_for_url(f"{base_url}/")


def complete_sign_in(page: Any, user: Any, code_offset: int = 0) -> None:
    """Fill the login form the page shows, then the code (``code_offset`` steps ahead: a code
    is accepted once, so a second sign-in within 30 s uses the next one)."""
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/otp/**")
    page.get_by_label("Six-digit code from your authenticator app").fill(
        totp_token(user, code_offset)
    )
    page.get_by_role("button", name="Verify").click()
