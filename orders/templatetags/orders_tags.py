"""Template helpers of the orders app: ``{% status_badge value %}`` and friends.

Compliance templates use them too, so they depend on nothing but ``orders.statuses``.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

from orders.statuses import badge, explain

register = template.Library()


@register.simple_tag
def status_badge(value: str | None) -> str:
    """Render a status as text plus colour: ``<span class="badge badge-ok">Success</span>``."""
    label, css = badge(value)
    help_text = explain(value)
    if help_text:
        return format_html(
            '<span class="badge {}" title="{}" data-status="{}">{}</span>',
            css,
            help_text,
            value or "",
            label,
        )
    return format_html('<span class="badge {}" data-status="{}">{}</span>', css, value or "", label)


@register.filter
def status_label(value: str | None) -> str:
    """Just the human label of a status."""
    return badge(value)[0]


@register.simple_tag
def deadline_countdown(deadline: datetime | None, now: datetime | None = None) -> str:
    """Render a deadline as "in 2 d 3 h" / "overdue by 4 h" with the exact time in a tooltip."""
    if deadline is None:
        return format_html('<span class="countdown countdown-none">{}</span>', "No deadline")
    now = now or timezone.now()
    delta = deadline - now
    seconds = int(delta.total_seconds())
    text = _humanise(abs(seconds))
    if seconds < 0:
        css, label = "countdown-overdue", f"overdue by {text}"
    elif seconds < 24 * 3600:
        css, label = "countdown-soon", f"in {text}"
    else:
        css, label = "countdown-ok", f"in {text}"
    return format_html(
        '<time class="countdown {}" datetime="{}" title="{}">{}</time>',
        css,
        deadline.isoformat(),
        timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M %Z"),
        label,
    )


def _humanise(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@register.filter
def as_datetime(value: str | None) -> str:
    """Format an ISO timestamp kept as text (history values) as "2026-11-30 03:08 UTC"."""
    from orders.timestamps import parse_ts

    parsed = parse_ts(value)
    if parsed is None:
        return value or "none"
    return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M %Z")
