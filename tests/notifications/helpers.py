"""Delivering the e-mails notifications owe, as the worker would, in the test process."""

from __future__ import annotations

from notifications.models import Notification
from notifications.tasks import email_notification


def deliver_mails() -> int:
    """Run the real e-mail task for every notification that owes an e-mail now."""
    owed = Notification.objects.filter(mail=Notification.Mail.NOW, emailed_at__isnull=True)
    ids = list(owed.order_by("pk").values_list("pk", flat=True))
    for pk in ids:
        email_notification.apply(args=[pk]).get()
    return len(ids)
