"""Celery tasks of notifications: one e-mail per task, and the daily digests (beat)."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from celery import shared_task

from notifications import mailing
from notifications.notify import EMAIL_JOB
from portal import outbox
from portal.backoff import task_countdown

logger = logging.getLogger(__name__)

# The mail server refused this address: retrying will not change its mind.
PERMANENT = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)


@shared_task(bind=True, max_retries=5)
def email_notification(self: Any, notification_id: int) -> bool:
    """Send one notification's e-mail, once (``mailing.send_one`` compares and sets)."""
    outbox.begin(EMAIL_JOB, notification_id)
    try:
        sent = mailing.send_one(notification_id)
    except OSError as exc:  # smtplib's errors and connection failures alike
        if not isinstance(exc, PERMANENT) and self.request.retries < self.max_retries:
            countdown = task_countdown(self.request.retries)
            outbox.end(EMAIL_JOB, notification_id, retry_in=countdown, error=str(exc))
            raise self.retry(exc=exc, countdown=countdown) from exc
        # Given up: the notification stays in the portal; the outbox row shows the error.
        logger.warning("e-mail of notification %s not sent: %s", notification_id, exc)
        outbox.end(EMAIL_JOB, notification_id, error=f"not sent: {exc}")
        outbox.done(EMAIL_JOB, notification_id)
        return False
    outbox.done(EMAIL_JOB, notification_id)
    return sent


@shared_task
def mail_daily_digests() -> int:
    """Send each user's daily digest that is due (beat, hourly)."""
    return mailing.send_digests()
