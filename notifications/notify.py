"""The one way a fact becomes notifications: ``notify(event, record, dedupe_key)``.

Called where the fact is recorded (the mirror of Telnyx's answers, the deadline scan, a
submission's failure, an intent that waits for a manager), inside that transaction: the rows
commit or roll back with the fact. Each recipient's row is unique per (recipient, event,
dedupe_key), so the same fact reported twice (a retried task, a second sync pass, a webhook and
the sync racing) creates and mails nothing the second time. A row that wants an e-mail now gets
its outbox job in the same transaction; the worker sends it once (``notifications.mailing``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from notifications import describe, preferences, routing
from notifications.events import by_email, in_app
from notifications.models import Notification
from portal import outbox

logger = logging.getLogger(__name__)

EMAIL_JOB = outbox.Kind("notifications.email", ("notifications.tasks.email_notification",))


def notify(
    event: str,
    record: Any,
    dedupe_key: str,
    *,
    requester: Any = None,
    details: Iterable[str] = (),
) -> list[Notification]:
    """Notify the people ``record``'s ``event`` concerns; returns the rows created now.

    ``details`` are extra lines for the list and the e-mail; like the title they must not
    carry personal values (names, requirement values, comment text)."""
    people = routing.recipients(event, record, requester=requester)
    if not people:
        return []
    chosen = preferences.channels(people, event)
    digest = preferences.digest_users(people)
    title = describe.title(event, record)
    url = describe.url_of(event, record)
    text = "\n".join(details)
    created = []
    for person in people:
        channel = chosen[person.pk]
        mail = Notification.Mail.NONE
        if by_email(channel) and person.email:
            mail = Notification.Mail.DIGEST if person.pk in digest else Notification.Mail.NOW
        if not in_app(channel) and mail == Notification.Mail.NONE:
            continue  # off, or e-mail only without an address: nothing to deliver
        try:
            with transaction.atomic():
                row = Notification.objects.create(
                    recipient=person,
                    event=event,
                    dedupe_key=dedupe_key[:200],
                    title=title,
                    details=text,
                    url=url,
                    in_app=in_app(channel),
                    mail=mail,
                )
                if mail == Notification.Mail.NOW:
                    outbox.enqueue(EMAIL_JOB, row.pk)
        except IntegrityError:
            continue  # already notified of this fact
        created.append(row)
    if created:
        logger.info("notified %d user(s) of %s (%s)", len(created), event, dedupe_key)
    return created
