"""E-mails of notifications: a link to the exact page, no personal value, sent once (a retried
task, a failing mail server), and one daily digest per user."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from notifications import mailing
from notifications.events import Event
from notifications.models import MailDigest, Notification
from notifications.notify import notify
from notifications.tasks import email_notification
from orders.mirror import SubOrderSnapshot, apply_sub_order
from orders.models import SubOrderComment

pytestmark = pytest.mark.django_db

NAME = "Gretchen Musterfrau-Oberhausen"


def test_a_retried_task_sends_the_mail_once(sub_order, bob):
    (row,) = notify(Event.REJECTED, sub_order, "k")
    email_notification.apply(args=[row.pk]).get()
    email_notification.apply(args=[row.pk]).get()  # redelivered
    email_notification.apply(args=[row.pk]).get()  # and again
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.emailed_at is not None


def test_a_refusing_mail_server_gives_the_claim_back_and_the_retry_sends_once(
    sub_order, bob, monkeypatch
):
    (row,) = notify(Event.REJECTED, sub_order, "k")
    real_send = mailing.send_mail
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("gone")
        return real_send(*args, **kwargs)

    monkeypatch.setattr(mailing, "send_mail", flaky)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        mailing.send_one(row.pk)
    row.refresh_from_db()
    assert row.emailed_at is None  # not sent: the retry may send it
    assert mailing.send_one(row.pk) is True
    assert mailing.send_one(row.pk) is False
    assert len(mail.outbox) == 1


def test_the_mail_links_to_the_exact_page_with_the_portal_base_url(sub_order, bob, settings):
    settings.COMPLIANCE_PORTAL_URL = "https://portal.example.test/"
    (row,) = notify(Event.REJECTED, sub_order, "k")
    mailing.send_one(row.pk)
    (message,) = mail.outbox
    assert message.to == ["bob@example.test"]
    assert message.subject == row.title
    link = f"https://portal.example.test/compliance/sub-orders/{sub_order.public_id}/"
    assert link in message.body


def test_p51_no_personal_value_or_comment_text_reaches_the_mail(sub_order, bob):
    """A rejection whose requirement value and Telnyx comment name a person: the bell row and
    the e-mail say what happened and where, never the name."""
    from portal.telnyx.models import Comment

    SubOrderComment.objects.all().delete()
    number = sub_order.numbers.get()
    telnyx_sub = {
        "id": sub_order.telnyx_id,
        "country_code": "US",
        "phone_number_type": "local",
        "status": "pending",
        "regulatory_requirements": [
            {"requirement_id": "r1", "field_type": "textual", "field_value": NAME}
        ],
    }
    declined = {
        "id": number.telnyx_id,
        "phone_number": number.phone_number,
        "country_code": "US",
        "phone_number_type": "local",
        "status": "pending",
        "requirements_status": "requirement-info-exception",
        "regulatory_requirements": [
            {"requirement_id": "r1", "field_type": "textual", "field_value": NAME}
        ],
    }
    note = Comment(
        id="c-1",
        body=f"The end user {NAME} does not match the ID document.",
        comment_record_type="sub_number_order",
        comment_record_id=sub_order.telnyx_id,
        commenter="ops@telnyx.example",
        commenter_type="admin",
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    snapshot = SubOrderSnapshot(sub=telnyx_sub, numbers=[declined], comments=[note])
    apply_sub_order(sub_order.number_order, snapshot, source="sync")
    events = set(Notification.objects.values_list("event", flat=True))
    assert events == {Event.REJECTED, Event.COMMENT}
    for row in Notification.objects.all():
        # Both by e-mail for this test, whatever the defaults.
        Notification.objects.filter(pk=row.pk).update(mail=Notification.Mail.NOW)
        mailing.send_one(row.pk)
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        text = message.subject + message.body + str(message.message())
        assert "Gretchen" not in text and "Musterfrau" not in text
    for row in Notification.objects.all():
        assert "Gretchen" not in row.title + row.details + row.url


def _digest_user(sub_order, bob):
    MailDigest.objects.create(user=bob, enabled=True)
    notify(Event.REJECTED, sub_order, "a")
    notify(Event.DEADLINE_24H, sub_order, "b")
    notify(Event.COMMENT, sub_order, "c")  # in the portal only by default: not in the digest


def test_the_daily_digest_is_one_mail_once_a_day(sub_order, bob, settings):
    settings.NOTIFICATIONS_DIGEST_HOUR = 7
    _digest_user(sub_order, bob)
    morning = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert mailing.send_digests(now=morning - timedelta(hours=2)) == 0  # before the hour
    assert mailing.send_digests(now=morning) == 1
    assert mailing.send_digests(now=morning + timedelta(hours=1)) == 0  # the same day
    (message,) = mail.outbox
    assert message.to == ["bob@example.test"]
    assert message.subject == "Your daily digest: 2 notifications"
    assert "Rejected, fix needed" in message.body and "Deadline within 24 h" in message.body
    assert "New comment" not in message.body
    # A new item waits for tomorrow's digest, which holds only it.
    notify(Event.REJECTED, sub_order, "d")
    assert mailing.send_digests(now=morning + timedelta(hours=3)) == 0
    assert mailing.send_digests(now=morning + timedelta(days=1)) == 1
    assert mail.outbox[1].subject == "Your daily digest: 1 notification"


def test_a_digest_the_mail_server_refused_goes_out_on_the_next_run(
    sub_order, bob, settings, monkeypatch
):
    settings.NOTIFICATIONS_DIGEST_HOUR = 0
    _digest_user(sub_order, bob)
    real_send = mailing.send_mail

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(mailing, "send_mail", refuse)
    assert mailing.send_digests() == 0
    monkeypatch.setattr(mailing, "send_mail", real_send)
    assert mailing.send_digests() == 1
    assert mailing.send_digests() == 0
    assert len(mail.outbox) == 1
