"""Writing the audit trail and the document access log.

``portal.audit.record`` sends a signal; ``write_audit_entry`` (connected in ``apps.py``) turns it
into an append-only ``AuditEntry``. Details are reduced to scalars, truncated and stripped of
control characters so a crafted value cannot forge log lines (P44); callers pass ids and
statuses, never personal values (P41).
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest

from compliance.models import AuditEntry, Document, DocumentAccess

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: object, limit: int = 200) -> str:
    """A printable, bounded rendering of ``value`` (CR/LF/ANSI/bidi controls escaped)."""
    text = str(value)
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text[:limit]


def _clean_details(details: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in list(details.items())[:30]:
        if value is None or isinstance(value, bool | int | float):
            cleaned[clean_text(key, 64)] = value
        elif isinstance(value, list | tuple):
            cleaned[clean_text(key, 64)] = [clean_text(v, 100) for v in value[:50]]
        else:
            cleaned[clean_text(key, 64)] = clean_text(value)
    return cleaned


def request_facts(request: HttpRequest | None) -> dict[str, Any]:
    """Path, method, client address and request id of ``request`` for a log row."""
    if request is None:
        return {}
    return {
        "path": clean_text(request.path, 300),
        "method": request.method or "",
        "ip": request.META.get("REMOTE_ADDR") or None,
        # The id portal.middleware.RequestIdMiddleware chose (the one in the security log and the
        # X-Request-ID answer header); the raw header only where that middleware did not run.
        "request_id": clean_text(
            getattr(request, "request_id", "") or request.META.get("HTTP_X_REQUEST_ID", ""), 64
        ),
    }


def _actor(actor: Any) -> tuple[Any, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "system" if actor is None else "anonymous"
    return actor, clean_text(actor.get_username(), 150)


def write_audit_entry(
    sender: Any,
    actor: Any = None,
    action: str = "",
    target: Any = None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
    **kwargs: Any,
) -> AuditEntry:
    """Receiver of ``portal.audit.audit_recorded``: append one ``AuditEntry``."""
    user, label = _actor(actor)
    target_type = target_id = target_label = ""
    if target is not None:
        meta = getattr(target, "_meta", None)
        target_type = meta.label if meta is not None else type(target).__name__
        target_id = clean_text(getattr(target, "public_id", None) or getattr(target, "pk", ""), 64)
        target_label = clean_text(target, 200)
    return AuditEntry.objects.create(
        actor=user,
        actor_label=label,
        action=clean_text(action, 64),
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        details=_clean_details(details or {}),
        **request_facts(request),
    )


def log_document_access(
    document: Document, user: Any, purpose: str, request: HttpRequest | None = None
) -> DocumentAccess:
    """Append a ``DocumentAccess`` row (and mirror it in the audit trail)."""
    who, label = _actor(user)
    facts = request_facts(request)
    facts.pop("method", None)
    access = DocumentAccess.objects.create(
        document=document, user=who, user_label=label, purpose=purpose, **facts
    )
    write_audit_entry(
        sender=None,
        actor=user,
        action=f"document.{purpose}",
        target=document,
        request=request,
        details={},
    )
    return access
