"""System checks for what Django's own deploy checks do not cover (PROMISES P4, P21, P24, P40).

``manage.py check --deploy --fail-level WARNING`` is the deploy gate: it must pass with the
production settings, and fail when the webhook key, sessions, login throttling, proxy, uploads
(permissions, virus scanning), second factor or Celery settings would quietly weaken a promise.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

MAX_SESSION_AGE = 12 * 3600
MAX_IDLE = 3600
MAX_COOLOFF = timedelta(hours=24)


def telnyx_public_key_problem(value: str) -> str | None:
    """Why ``value`` is not a usable base64 Ed25519 public key, or None when it is."""
    if not value:
        return "TELNYX_PUBLIC_KEY is not set: every webhook would be refused (P4)."
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "TELNYX_PUBLIC_KEY is not valid base64."
    if len(raw) != 32:
        return f"TELNYX_PUBLIC_KEY decodes to {len(raw)} bytes; an Ed25519 key has 32."
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return "TELNYX_PUBLIC_KEY is not an Ed25519 public key."
    return None


@register(Tags.security, deploy=True)
def check_telnyx_public_key(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    problem = telnyx_public_key_problem(getattr(settings, "TELNYX_PUBLIC_KEY", ""))
    if problem:
        return [
            Error(problem, hint="Copy the public key from the Telnyx portal.", id="portal.E001")
        ]
    return []


@register(Tags.security, deploy=True)
def check_telnyx_api(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if not settings.TELNYX_API_KEY or settings.TELNYX_API_KEY.startswith("KEYSANDBOX"):
        messages.append(Error("TELNYX_API_KEY is unset or the sandbox key.", id="portal.E002"))
    if not settings.TELNYX_API_BASE.startswith("https://"):
        messages.append(
            Warning(
                "TELNYX_API_BASE is not https: the API key would travel in clear text.",
                id="portal.W003",
            )
        )
    return messages


@register(Tags.security, deploy=True)
def check_sessions(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if settings.SESSION_COOKIE_AGE > MAX_SESSION_AGE:
        messages.append(
            Warning(
                f"SESSION_COOKIE_AGE is {settings.SESSION_COOKIE_AGE} s; staff sessions must end "
                "within 12 hours (P39).",
                id="portal.W010",
            )
        )
    idle = settings.SESSION_IDLE_TIMEOUT
    if idle <= 0 or idle > MAX_IDLE:
        messages.append(
            Warning(
                f"SESSION_IDLE_TIMEOUT is {idle} s; keep it between 1 s and one hour (P39).",
                id="portal.W011",
            )
        )
    insecure = [o for o in settings.CSRF_TRUSTED_ORIGINS if not o.startswith("https://")]
    if insecure:
        messages.append(
            Warning(
                "CSRF_TRUSTED_ORIGINS lists non-https origins: " + ", ".join(insecure),
                id="portal.W012",
            )
        )
    if not settings.PORTAL_REQUIRE_OTP:
        messages.append(
            Warning(
                "PORTAL_REQUIRE_OTP is off: staff could sign in with a password alone (P38).",
                id="portal.W013",
            )
        )
    return messages


@register(Tags.security, deploy=True)
def check_login_throttling(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if not settings.AXES_ENABLED:
        messages.append(Warning("AXES_ENABLED is off: logins are not throttled.", id="portal.W020"))
    cooloff = settings.AXES_COOLOFF_TIME
    if cooloff is None or not isinstance(cooloff, timedelta) or cooloff > MAX_COOLOFF:
        messages.append(
            Warning(
                "AXES_COOLOFF_TIME must be a finite timedelta of at most a day, or one attacker "
                "can keep the team locked out (P37).",
                id="portal.W021",
            )
        )
    combined = [list(p) for p in settings.AXES_LOCKOUT_PARAMETERS if not isinstance(p, str)]
    if ["username", "ip_address"] not in combined and ["ip_address", "username"] not in combined:
        messages.append(
            Warning(
                "AXES_LOCKOUT_PARAMETERS should lock username and IP address together (P37).",
                id="portal.W022",
            )
        )
    behind_proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is not None
    if behind_proxy and settings.AXES_IPWARE_PROXY_COUNT < 1:
        messages.append(
            Warning(
                "SECURE_PROXY_SSL_HEADER is set but AXES_IPWARE_PROXY_COUNT is 0: every user "
                "would appear to come from the proxy's address.",
                id="portal.W023",
            )
        )
    return messages


@register(Tags.security, deploy=True)
def check_uploads_and_csp(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if settings.FILE_UPLOAD_PERMISSIONS != 0o600:
        messages.append(Warning("FILE_UPLOAD_PERMISSIONS should be 0o600.", id="portal.W030"))
    if settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS != 0o700:
        messages.append(
            Warning("FILE_UPLOAD_DIRECTORY_PERMISSIONS should be 0o700.", id="portal.W031")
        )
    if not settings.CLAMAV_ADDRESS and not settings.DOCUMENT_SCANNING_OFF:
        messages.append(
            Warning(
                "No virus scanner is configured (CLAMAV_ADDRESS is empty): uploaded documents "
                "are stored, previewed and sent to Telnyx unscanned.",
                hint="Set CLAMAV_ADDRESS to a clamd, or DOCUMENT_SCANNING_OFF=true to record "
                "that scanning is deliberately off.",
                id="portal.W033",
            )
        )
    directives = settings.CONTENT_SECURITY_POLICY.get("DIRECTIVES", {})
    scripts = directives.get("script-src") or directives.get("default-src") or []
    if not scripts or any("unsafe" in source for source in scripts):
        messages.append(
            Warning("The CSP must restrict scripts and allow no inline scripts.", id="portal.W032")
        )
    return messages


@register()
def check_celery(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    """JSON only, acks late, and one visibility timeout longer than any task (P21, P24)."""
    messages: list[CheckMessage] = []
    if list(settings.CELERY_ACCEPT_CONTENT) != ["json"] or {
        settings.CELERY_TASK_SERIALIZER,
        settings.CELERY_RESULT_SERIALIZER,
    } != {"json"}:
        messages.append(Error("Celery must accept and send JSON only.", id="portal.E040"))
    if not (settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST):
        messages.append(
            Error(
                "CELERY_TASK_ACKS_LATE and CELERY_TASK_REJECT_ON_WORKER_LOST must be on.",
                id="portal.E041",
            )
        )
    timeouts = {
        settings.CELERY_VISIBILITY_TIMEOUT,
        settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout"),
        settings.CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS.get("visibility_timeout"),
    }
    if len(timeouts) != 1:
        messages.append(Error("The three Celery visibility timeouts differ.", id="portal.E042"))
    longest = settings.CELERY_TASK_TIME_LIMIT + settings.CELERY_MAX_COUNTDOWN
    if longest >= settings.CELERY_VISIBILITY_TIMEOUT:
        messages.append(
            Error(
                f"CELERY_VISIBILITY_TIMEOUT ({settings.CELERY_VISIBILITY_TIMEOUT} s) must exceed "
                f"the task time limit plus the longest countdown ({longest} s), or slow tasks "
                "run twice.",
                id="portal.E043",
            )
        )
    if settings.CELERY_TASK_SOFT_TIME_LIMIT >= settings.CELERY_TASK_TIME_LIMIT:
        messages.append(
            Warning(
                "CELERY_TASK_SOFT_TIME_LIMIT should be below CELERY_TASK_TIME_LIMIT.",
                id="portal.W044",
            )
        )
    return messages


@register(Tags.staticfiles, deploy=True)
def check_static_manifest(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    """With DEBUG off every page names its static files through collectstatic's manifest: without
    it, each page (the login page included) answers 500."""
    backend = settings.STORAGES["staticfiles"]["BACKEND"]
    if "Manifest" not in backend:
        return []
    from pathlib import Path

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.is_file():
        return []
    return [
        Error(
            f"The static files manifest {manifest} is missing: every page would answer 500.",
            hint="Run `manage.py collectstatic --noinput` (part of the release step, README).",
            id="portal.E050",
        )
    ]
