"""The e-mail task: on a real worker, published three times, the mail goes out once; an
address the mail server refuses is given up at once, visibly in the outbox."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db import transaction

from notifications.events import Event
from notifications.notify import notify
from portal import outbox


def mails_in(folder: Path) -> list[str]:
    text = "".join(p.read_text() for p in sorted(folder.glob("*")))
    return [
        part
        for part in text.split(
            "\n-------------------------------------------------------------------------------\n"
        )
        if part.strip()
    ]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_task_published_three_times_sends_one_mail(
    celery_worker_factory, sub_order, bob, tmp_path
):
    folder = tmp_path / "mail"
    folder.mkdir()
    worker = celery_worker_factory(
        env={
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(folder),
        }
    )
    with transaction.atomic():  # the fact commits; its outbox job is published after commit
        (row,) = notify(Event.REJECTED, sub_order, "change:1")
    # The relay and a redelivery publish the same job again.
    assert outbox.send_task("notifications.tasks.email_notification", row.pk)
    assert outbox.send_task("notifications.tasks.email_notification", row.pk)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if worker.log_text().count("email_notification[") >= 6:  # received + succeeded, x3
            break
        time.sleep(0.2)
    assert worker.log_text().count("succeeded") >= 3, worker.log_text()[-2000:]
    mails = mails_in(folder)
    assert len(mails) == 1, mails
    assert "To: bob@example.test" in mails[0]
    assert f"/compliance/sub-orders/{sub_order.public_id}/" in mails[0]


@pytest.mark.django_db
def test_a_refused_address_is_given_up_without_retries(sub_order, bob, monkeypatch):
    import smtplib

    from django.core import mail

    from notifications import mailing
    from notifications.models import Notification
    from notifications.tasks import email_notification

    calls = []

    def refuse(*args, **kwargs):
        calls.append(1)
        raise smtplib.SMTPRecipientsRefused({"bob@example.test": (550, b"no such user")})

    monkeypatch.setattr(mailing, "send_mail", refuse)
    (row,) = notify(Event.REJECTED, sub_order, "k")
    assert email_notification.apply(args=[row.pk]).get() is False
    assert len(calls) == 1 and mail.outbox == []
    message = outbox.state_of(outbox.Kind("notifications.email", ()), row.pk)
    assert message.state == "done" and "no such user" in message.last_error
    assert Notification.objects.get(pk=row.pk).emailed_at is None
