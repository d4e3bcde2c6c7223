"""Celery tasks of notifications: one e-mail per task, and the daily digests (beat)."""

from __future__ import annotations

import smtplib
from typing import Any

from celery import shared_task

from notifications import mailing
from notifications.notify import EMAIL_JOB
from portal import outbox
from portal.backoff import task_countdown

# A mail server that is down or busy; a refused address is not worth retrying.
TRANSIENT = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, OSError)


@shared_task(bind=True, max_retries=5)
def email_notification(self: Any, notification_id: int) -> bool:
    """Send one notification's e-mail, once (``mailing.send_one`` compares and sets)."""
    outbox.begin(EMAIL_JOB, notification_id)
    try:
        sent = mailing.send_one(notification_id)
    except TRANSIENT as exc:
        countdown = task_countdown(self.request.retries)
        outbox.end(EMAIL_JOB, notification_id, retry_in=countdown, error=str(exc))
        raise self.retry(exc=exc, countdown=countdown) from exc
    outbox.done(EMAIL_JOB, notification_id)
    return sent


@shared_task
def mail_daily_digests() -> int:
    """Send each user's daily digest that is due (beat, hourly)."""
    return mailing.send_digests()
