"""E-mails of notifications: one at a time (the outbox job) or one daily digest per user.

Both send at most once, by compare-and-set on the database: ``send_one`` claims the row by
setting ``emailed_at`` where it is still empty, and the digest claims the user's day by moving
``MailDigest.last_sent_on`` to today. A retried task, a redelivered message or two workers find
the claim taken and send nothing. When the mail server refuses, the claim is given back and
the task retries; a worker killed between claim and send loses that one mail rather than ever
sending it twice. Bodies hold the title, the non-personal details and an absolute link.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from notifications.models import MailDigest, Notification

logger = logging.getLogger(__name__)


def absolute(path: str) -> str:
    return settings.COMPLIANCE_PORTAL_URL.rstrip("/") + path


def render(notification: Notification) -> tuple[str, str]:
    """Subject and body of one notification's e-mail."""
    lines = [notification.title]
    if notification.details:
        lines += ["", notification.details]
    lines += [
        "",
        f"Open it in the portal: {absolute(notification.url)}",
        "",
        f"Choose what you are told and how: {absolute(reverse('notifications:preferences'))}",
    ]
    return notification.title, "\n".join(lines)


def render_digest(items: list[Notification]) -> tuple[str, str]:
    """Subject and body of a daily digest of ``items`` (newest first)."""
    noun = "notification" if len(items) == 1 else "notifications"
    subject = f"Your daily digest: {len(items)} {noun}"
    lines = [f"{len(items)} {noun} since the last digest:", ""]
    for item in items:
        lines.append(f"- {item.created_at:%Y-%m-%d %H:%M} UTC  {item.title}")
        lines.append(f"  {absolute(item.url)}")
    lines += [
        "",
        f"Choose what you are told and how: {absolute(reverse('notifications:preferences'))}",
    ]
    return subject, "\n".join(lines)


def send_one(notification_id: int) -> bool:
    """Send the e-mail of one notification unless it was sent; True when sent now."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, mail=Notification.Mail.NOW, emailed_at__isnull=True
    ).update(emailed_at=now)
    if not claimed:
        return False  # sent already, gone, or not wanted by e-mail
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    subject, body = render(notification)
    try:
        send_mail(subject, body, None, [notification.recipient.email])
    except Exception:
        # Not sent: give the claim back so the retry can send it.
        Notification.objects.filter(pk=notification_id, emailed_at=now).update(emailed_at=None)
        raise
    return True


def _owed_digest_items(user_id: int) -> Any:
    return Notification.objects.filter(
        recipient_id=user_id, mail=Notification.Mail.DIGEST, emailed_at__isnull=True
    ).order_by("-created_at", "-id")


def send_digest(user_id: int, today: Any = None) -> bool:
    """Send ``user_id``'s digest of the day unless it went already; True when sent now."""
    today = today or timezone.now().date()
    items = list(_owed_digest_items(user_id).select_related("recipient"))
    if not items or not items[0].recipient.email:
        return False
    digest = MailDigest.objects.filter(user_id=user_id).first()
    previous = digest.last_sent_on if digest else None
    claim = Q(last_sent_on__isnull=True) | Q(last_sent_on__lt=today)
    if digest is None:
        digest, _ = MailDigest.objects.get_or_create(user_id=user_id)
    if not MailDigest.objects.filter(claim, pk=digest.pk).update(last_sent_on=today):
        return False  # today's digest went already
    subject, body = render_digest(items)
    try:
        send_mail(subject, body, None, [items[0].recipient.email])
    except Exception:
        MailDigest.objects.filter(pk=digest.pk, last_sent_on=today).update(last_sent_on=previous)
        raise
    Notification.objects.filter(pk__in=[i.pk for i in items], emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    return True


def send_digests(now: Any = None) -> int:
    """Send every digest that is due (after ``NOTIFICATIONS_DIGEST_HOUR`` UTC); how many."""
    now = now or timezone.now()
    if now.hour < settings.NOTIFICATIONS_DIGEST_HOUR:
        return 0
    users = (
        Notification.objects.filter(mail=Notification.Mail.DIGEST, emailed_at__isnull=True)
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    for user_id in list(users):
        try:
            sent += send_digest(user_id, now.date())
        except Exception:
            logger.warning("digest of user %s not sent", user_id, exc_info=True)
    return sent
