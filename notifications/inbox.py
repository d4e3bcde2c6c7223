"""Reading one's notifications: the unread count, the list (unread first), marking read.

Every query is scoped to the recipient, so another user's notification is never found (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from notifications.models import Notification


def visible(user: Any) -> QuerySet[Notification]:
    """The user's in-app notifications: unread first, then read, each newest first."""
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return (
        Notification.objects.filter(recipient_id=getattr(user, "pk", None), in_app=True)
        .alias(unread=unread)
        .order_by("-unread", "-created_at", "-id")
    )


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(
        recipient_id=user.pk, in_app=True, read_at__isnull=True
    ).count()


def mark_read(user: Any, public_id: Any) -> bool:
    """Mark one of the user's notifications read; False when it is not theirs (or gone)."""
    found = visible(user).filter(public_id=public_id)
    if not found.exists():
        return False
    found.filter(read_at__isnull=True).update(read_at=timezone.now())
    return True


def mark_all_read(user: Any) -> int:
    return visible(user).filter(read_at__isnull=True).update(read_at=timezone.now())


def mark_read_about(user: Any, event: str, dedupe_keys: list[str]) -> int:
    """Mark the user's notifications of ``event`` about these facts read (the user dealt with
    the facts themselves elsewhere, e.g. marked the comments read); returns how many."""
    return (
        visible(user)
        .filter(event=event, dedupe_key__in=dedupe_keys, read_at__isnull=True)
        .update(read_at=timezone.now())
    )
