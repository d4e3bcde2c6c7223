"""``{% notification_bell %}``: the bell with the signed-in user's unread count."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from notifications import inbox

register = template.Library()


@register.inclusion_tag("notifications/bell.html", takes_context=True)
def notification_bell(context: Any) -> dict[str, Any]:
    user = context.get("user")
    return {
        "unread": inbox.unread_count(user),
        "poll_seconds": settings.PORTAL_LIVE_POLL_SECONDS,
    }
