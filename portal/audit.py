"""The audit trail entry point: ``record(actor, action, target, request, **details)``.

It only sends a signal, so ``orders`` can audit its changes at Telnyx without importing
``compliance``; the compliance app's receiver writes the read-only ``AuditEntry`` row. With no
receiver connected, calling it is a harmless no-op. ``details`` must not carry personal data
(values, file names, addresses): pass ids, counts and statuses.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

#: Sent with ``actor``, ``action``, ``target``, ``request`` and ``details`` (a dict).
audit_recorded = Signal()


def record(
    actor: Any, action: str, target: Any = None, request: Any = None, **details: Any
) -> None:
    """Record that ``actor`` did ``action`` to ``target`` (from ``request``'s page, if any)."""
    audit_recorded.send(
        sender=record, actor=actor, action=action, target=target, request=request, details=details
    )
