"""Project-level views: health check, logout, the second-factor page and the 403 page."""

from __future__ import annotations

import base64
from base64 import b32encode

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import health
from portal.middleware import clear_site_data, no_store, otp_verified
from portal.redirects import safe_next
from portal.security_events import security_event

DEVICE_NAME = "portal"


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, Redis and a Celery worker answer; 503 naming what is down."""
    results = health.check()
    down = sorted(name for name, up in results.items() if not up)
    body: dict[str, object] = {
        "status": "down" if down else "ok",
        "checks": {name: "ok" if up else "down" for name, up in results.items()},
    }
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)


class LogoutView(auth_views.LogoutView):
    """POST-only logout that also asks the browser to drop cached pages and storage (P42)."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        return clear_site_data(super().post(request, *args, **kwargs))


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Six-digit code from your authenticator app",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    return safe_next(request, target, settings.LOGIN_REDIRECT_URL)


def _qr_data_uri(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode").encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


@sensitive_post_parameters("token")
@no_store
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the TOTP code; a user without a confirmed device enrols one here first.

    Wrong codes are throttled by django-otp per device (the wait doubles after each failure),
    so guessing is slow and even a correct code is refused while the device is throttled.
    """
    user = request.user
    if otp_verified(request.user):
        return redirect(_safe_next(request))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if device is None:
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, confirmed=False, defaults={"name": DEVICE_NAME}
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"].strip()):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            django_otp.login(request, device)
            return redirect(_safe_next(request))
        # Security event (P44): who and why, never the code.
        security_event(
            "otp.failure",
            request=request,
            outcome="failure",
            object=f"user:{user.pk}",
            reason="wrong" if allowed else "throttled",
        )
        form.add_error(
            "token",
            "That code was not accepted. Wait a moment and use the current code."
            if allowed
            else "Too many wrong codes. Wait a few minutes before trying again.",
        )
    context = {"form": form, "enrolling": enrolling, "next": _safe_next(request)}
    if enrolling:
        context["qr_data_uri"] = _qr_data_uri(device)
        context["secret"] = b32encode(device.bin_key).decode()
    return render(request, "registration/otp_verify.html", context)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler403``: log the refused permission check (P44), then Django's 403 page.

    Every ``PermissionDenied`` raised by a view, decorator or middleware ends here, so a new
    view's denial is logged without asking.
    """
    match = request.resolver_match
    view = match.view_name if match is not None else None
    security_event("authz.denied", request=request, outcome="denied", object=view)
    return defaults.permission_denied(request, exception)
