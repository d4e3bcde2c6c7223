"""Request guards every view gets without asking (PROMISES P38, P39, P42).

- ``SessionTimeoutMiddleware`` ends a session after ``SESSION_IDLE_TIMEOUT`` seconds without a
  request, or ``SESSION_COOKIE_AGE`` seconds after sign-in, whichever comes first. Views
  decorated with ``passive_poll`` (background htmx polling) do not count as activity.
- ``LoginRequiredMiddleware`` makes every URL require a signed-in user except the allowlist in
  ``PUBLIC_URL_NAMES``/``PUBLIC_PATH_PREFIXES``; a decorator cannot opt a view out, so a new view
  cannot forget it. With ``PORTAL_REQUIRE_OTP`` the user must also have passed the second
  factor. HTMX requests get ``HX-Redirect`` so the login page is not pasted into a fragment.
- ``RequestIdMiddleware`` gives every request an id (``request.request_id``) for the logs and
  the audit trail (P43, P44) and echoes it in ``X-Request-ID``; a caller's own ``X-Request-ID``
  is kept when it is a short plain token, so one id follows a request through a proxy.
- ``NoStoreMiddleware`` keeps signed-in pages out of browser and proxy caches unless the view
  set its own ``Cache-Control``, and adds ``Vary: HX-Request`` since one URL may answer with a
  page or a fragment.
"""

from __future__ import annotations

import functools
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

SESSION_STARTED_KEY = "portal_session_started"
SESSION_ACTIVITY_KEY = "portal_last_activity"

# Views an authenticated user may reach before passing the second factor.
OTP_EXEMPT_URL_NAMES = frozenset({"otp-verify", "logout"})

View = Callable[..., HttpResponse]

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is trusted only as a plain token: nothing that could split or colour a log line.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class OTPVerifiable(Protocol):
    """``request.user`` after django-otp's ``OTPMiddleware``, which adds ``is_verified()``."""

    def is_verified(self) -> bool: ...


def otp_verified(user: object) -> bool:
    """Whether the user passed the second factor.

    ``OTPMiddleware`` attaches ``is_verified`` to the user object at run time, so the
    django-stubs user types cannot know it; the cast states that middleware contract.
    """
    return cast(OTPVerifiable, user).is_verified()


@receiver(user_logged_in, dispatch_uid="portal.middleware.session_clock")
def start_session_clock(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """Start the absolute and idle clocks at sign-in (the session key was just rotated)."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_STARTED_KEY] = now
        request.session[SESSION_ACTIVITY_KEY] = now


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def redirect_to(request: HttpRequest, url_name: str) -> HttpResponse:
    """Send the browser to ``url_name`` with ``?next=`` back to the page the user was on.

    For HTMX the page is the one in the address bar (``HX-Current-URL``), not the fragment URL,
    and the answer is ``HX-Redirect`` so htmx navigates the whole window.
    """
    if is_htmx(request):
        current = getattr(getattr(request, "htmx", None), "current_url_abs_path", None)
        response = redirect_to_login(current or "/", reverse(url_name))
        return HttpResponseClientRedirect(response["Location"])
    return redirect_to_login(request.get_full_path(), reverse(url_name))


class RequestIdMiddleware:
    """Set ``request.request_id`` and answer with it in the ``X-Request-ID`` header."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        # HttpRequest has no such attribute in the stubs; readers use getattr with a default.
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class SessionTimeoutMiddleware:
    """Sign out sessions that were idle too long or are older than the absolute limit."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        session = request.session
        now = int(time.time())
        started = session.get(SESSION_STARTED_KEY)
        last = session.get(SESSION_ACTIVITY_KEY)
        if started is None or last is None:
            session[SESSION_STARTED_KEY] = started or now
            session[SESSION_ACTIVITY_KEY] = now
            return
        idle = now - last > settings.SESSION_IDLE_TIMEOUT
        too_old = now - started > settings.SESSION_COOKIE_AGE
        if idle or too_old:
            logout(request)  # flushes the server-side session
            messages.info(request, "Your session has expired. Please sign in again.")

    def process_view(
        self, request: HttpRequest, view_func: View, view_args: Any, view_kwargs: Any
    ) -> None:
        """Count the request as activity unless the view is a background poll."""
        if not request.user.is_authenticated or not getattr(view_func, "session_activity", True):
            return
        now = int(time.time())
        last = request.session.get(SESSION_ACTIVITY_KEY, 0)
        if now - last >= settings.SESSION_ACTIVITY_RESOLUTION:
            request.session[SESSION_ACTIVITY_KEY] = now


def is_public(request: HttpRequest) -> bool:
    """Whether the resolved URL is on the anonymous allowlist (by URL name or path prefix)."""
    match = request.resolver_match
    names = set(settings.PUBLIC_URL_NAMES)
    if match is not None and (match.view_name in names):
        return True
    return any(request.path.startswith(prefix) for prefix in settings.PUBLIC_PATH_PREFIXES)


class LoginRequiredMiddleware:
    """Every view requires a signed-in (and, where required, OTP-verified) user."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: View, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if is_public(request):
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to(request, settings.LOGIN_URL)
        if settings.PORTAL_REQUIRE_OTP and not otp_verified(user):
            match = request.resolver_match
            if match is None or match.view_name not in OTP_EXEMPT_URL_NAMES:
                return redirect_to(request, "otp-verify")
        return None


class NoStoreMiddleware:
    """Signed-in answers are ``Cache-Control: no-store, private`` unless the view chose."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and (
            request.user.is_authenticated or request.method != "GET"
        ):
            patch_cache_control(response, no_store=True, private=True)
        patch_vary_headers(response, ["HX-Request"])
        return response


def passive_poll(view: View) -> View:
    """Mark a view polled by htmx in the background: its requests do not count as activity.

    Without this, a page that polls every few seconds would keep an unattended session alive
    past ``SESSION_IDLE_TIMEOUT``.
    """
    view.session_activity = False  # type: ignore[attr-defined]
    return view


def no_store(view: View) -> View:
    """Mark a view's answers ``Cache-Control: no-store, private`` (PII pages, P42)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        patch_cache_control(response, no_store=True, private=True)
        patch_vary_headers(response, ["HX-Request"])
        return response

    return wrapper


def clear_site_data(response: HttpResponse) -> HttpResponse:
    """Ask the browser to drop cached pages and storage (sent on logout, P42)."""
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response
