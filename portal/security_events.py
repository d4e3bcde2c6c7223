"""Security events (P44): one structured, single-line record per event on ``portal.security``.

``security_event()`` is the only way to write one. The record carries ``ts`` (UTC, ISO 8601),
``actor``, ``action``, ``object``, ``outcome``, ``request_id`` and ``ip`` plus any extra fields,
both as a JSON message and as the ``security_event`` attribute of the ``LogRecord`` (for a JSON
handler). Every value is escaped *before* it is logged: CR, LF, ANSI escapes and other control or
bidi characters become visible ``\\n``/``\\x1b`` sequences, so a crafted user name or URL can
neither forge a log line nor colour an operator's terminal, whichever handler prints it (Django
fixed the same bug in its own request logging, CVE-2025-48432).

Callers pass ids, paths and our own wording; never passwords, tokens, document contents or
personal values (P41). Extra fields whose names suggest a secret are redacted as a safety net.

The receivers at the bottom log sign-ins, failed sign-ins and axes lockouts; the OTP page,
``handler403`` and the document upload call ``security_event`` themselves.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

logger = logging.getLogger("portal.security")

#: Who acted: a user (``request.user``), a name, or None for "the request's user, else system".
Actor = AbstractBaseUser | AnonymousUser | str | None
#: What a record field may hold; anything that is not a number, bool or None is escaped text.
Value = str | int | float | bool | None

# Unicode categories escaped in values: controls (Cc: CR, LF, DEL, ESC that starts ANSI
# sequences, the one-byte CSI 0x9b), format characters (Cf: bidi overrides that visually reorder
# a line, zero-width characters), line/paragraph separators (Zl, Zp) and lone surrogates (Cs).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_NAMED = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SECRET_NAME = re.compile(
    r"pass|secret|token|api_?key|authorization|cookie|credential|otp|content|filename|body",
    re.IGNORECASE,
)
MAX_VALUE_CHARS = 200
OUTCOME_LEVELS = {"success": logging.INFO}


def _escape_char(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    if unicodedata.category(char) not in _UNSAFE_CATEGORIES:
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """``value`` as printable text of at most ``limit`` characters before escaping.

    Backslashes are doubled so an escape we wrote cannot be confused with one the user typed.
    """
    text = str(value)
    cut = len(text) > limit
    escaped = "".join(_escape_char(char) for char in text[:limit])
    return escaped + "..." if cut else escaped


def _clean(value: Value) -> Value:
    if value is None or isinstance(value, bool | int | float):
        return value
    return escape(value)


def _actor_of(actor: Actor, request: HttpRequest | None) -> str:
    """A user object, a name or nothing; unauthenticated users are ``anonymous``."""
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is None:
        return "system" if request is None else "anonymous"
    if isinstance(actor, str):
        return escape(actor)
    if not actor.is_authenticated:
        return "anonymous"
    return escape(actor.get_username())


def _ip_of(request: HttpRequest) -> str | None:
    # axes resolved the client address with the configured proxy count; fall back to the peer.
    ip = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    return escape(ip, 64) if ip else None


def security_event(
    action: str,
    *,
    actor: Actor = None,
    request: HttpRequest | None = None,
    outcome: str,
    object: Value = None,  # named like the record's field, as the callers read best
    **fields: Value,
) -> dict[str, Value]:
    """Log one security event and return the record as logged (already escaped).

    ``action`` is a dotted name (``login.failure``); ``outcome`` is ``success``, ``failure``,
    ``denied``, ``locked`` or ``refused``. Anything but ``success`` is logged at WARNING.
    """
    record: dict[str, Value] = {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "actor": _actor_of(actor, request),
        "action": escape(action, 64),
        "object": _clean(object),
        "outcome": escape(outcome, 32),
        "request_id": escape(getattr(request, "request_id", "") or "", 64) or None,
        "ip": _ip_of(request) if request is not None else None,
    }
    if request is not None and "path" not in fields:
        record["path"] = escape(request.path, 300)
    for name, value in fields.items():
        key = escape(name, 64)
        if key in record:
            continue
        record[key] = "[redacted]" if _SECRET_NAME.search(key) else _clean(value)
    logger.log(
        OUTCOME_LEVELS.get(outcome, logging.WARNING),
        "%s",
        json.dumps(record, ensure_ascii=False),
        extra={"security_event": record},
    )
    return record


@receiver(user_logged_in, dispatch_uid="portal.security_events.login_success")
def log_login_success(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    security_event("login.success", actor=user, request=request, outcome="success")


@receiver(user_login_failed, dispatch_uid="portal.security_events.login_failure")
def log_login_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """The attempted user name only (escaped); the password never leaves ``credentials``."""
    username = credentials.get("username")
    security_event(
        "login.failure",
        actor="anonymous",
        request=request,
        outcome="failure",
        object=username if isinstance(username, str) else None,
    )


@receiver(user_locked_out, dispatch_uid="portal.security_events.lockout")
def log_lockout(
    sender: Any, request: HttpRequest | None, username: str | None, **kwargs: Any
) -> None:
    """axes refused a sign-in because of too many failures (sent again on each locked try)."""
    security_event(
        "login.lockout", actor="anonymous", request=request, outcome="locked", object=username
    )
