"""notify(): who is told (the owner, else the placer; approvals to the other managers) and how
(each person's channel per event, the digest switch), once per fact."""

from __future__ import annotations

import pytest
from django.core import mail

from notifications.events import Channel, Event
from notifications.models import MailDigest, Notification, NotificationPreference
from notifications.notify import notify
from tests.notifications.helpers import deliver_mails
from tests.orders.factories import NumberOrderFactory

pytestmark = pytest.mark.django_db


def told(event: str = Event.REJECTED) -> set[str]:
    return set(
        Notification.objects.filter(event=event).values_list("recipient__username", flat=True)
    )


def test_the_assignee_is_told_and_nobody_else(sub_order, alice, bob, maria):
    sub_order.assignee = alice
    sub_order.save()
    notify(Event.REJECTED, sub_order, "k1")
    assert told() == {"alice"}


def test_an_unassigned_sub_order_tells_whoever_placed_the_order(sub_order, alice, bob, maria):
    notify(Event.REJECTED, sub_order, "k1")
    assert told() == {"bob"}  # not alice (staff), not maria (a manager)


def test_a_record_of_a_sub_order_is_routed_by_its_sub_order(number, alice, bob):
    number.sub_order.assignee = alice
    number.sub_order.save()
    notify(Event.SUBMISSION_FAILED, number, "k1")
    assert told(Event.SUBMISSION_FAILED) == {"alice"}


def test_an_order_tells_whoever_placed_it(alice, bob):
    order = NumberOrderFactory(placed_by=alice)
    notify(Event.ORDER_COMPLETED, order, f"order:{order.pk}")
    assert told(Event.ORDER_COMPLETED) == {"alice"}


def test_approvals_go_to_the_managers_but_not_the_requester(alice, bob, maria, mark, olga):
    order = NumberOrderFactory(placed_by=maria)
    notify(Event.APPROVAL, order, "intent:1", requester=maria)
    assert told(Event.APPROVAL) == {"mark"}
    order = NumberOrderFactory(placed_by=alice)
    notify(Event.APPROVAL, order, "intent:2", requester=alice)
    assert Notification.objects.filter(dedupe_key="intent:2").count() == 2  # maria and mark


def test_the_same_fact_twice_creates_and_mails_nothing_more(sub_order, bob):
    assert len(notify(Event.REJECTED, sub_order, "change:7")) == 1
    assert notify(Event.REJECTED, sub_order, "change:7") == []
    assert Notification.objects.count() == 1
    assert deliver_mails() == 1
    assert deliver_mails() == 0
    assert len(mail.outbox) == 1


def test_off_means_nothing_at_all(sub_order, bob):
    NotificationPreference.objects.create(user=bob, event=Event.REJECTED, channel=Channel.OFF)
    assert notify(Event.REJECTED, sub_order, "k") == []
    assert not Notification.objects.exists()
    deliver_mails()
    assert mail.outbox == []


def test_e_mail_only_mails_without_an_in_app_row(sub_order, bob):
    NotificationPreference.objects.create(user=bob, event=Event.COMMENT, channel=Channel.EMAIL)
    (row,) = notify(Event.COMMENT, sub_order, "comment:1")
    assert not row.in_app
    deliver_mails()
    assert [m.to for m in mail.outbox] == [["bob@example.test"]]


def test_in_app_only_sends_no_mail(sub_order, bob):
    NotificationPreference.objects.create(user=bob, event=Event.REJECTED, channel=Channel.IN_APP)
    (row,) = notify(Event.REJECTED, sub_order, "k")
    assert row.in_app and row.mail == Notification.Mail.NONE
    assert deliver_mails() == 0
    assert mail.outbox == []


def test_the_defaults_mail_rejections_but_keep_comments_in_the_portal(sub_order, bob):
    (rejection,) = notify(Event.REJECTED, sub_order, "k")
    (comment,) = notify(Event.COMMENT, sub_order, "c")
    assert rejection.mail == Notification.Mail.NOW and rejection.in_app
    assert comment.mail == Notification.Mail.NONE and comment.in_app


def test_with_the_digest_on_nothing_is_mailed_at_once(sub_order, bob):
    MailDigest.objects.create(user=bob, enabled=True)
    (row,) = notify(Event.REJECTED, sub_order, "k")
    assert row.mail == Notification.Mail.DIGEST
    assert deliver_mails() == 0
    assert mail.outbox == []


def test_titles_and_links_name_the_record_not_its_values(sub_order, bob):
    (row,) = notify(Event.REJECTED, sub_order, "k")
    reference = sub_order.number_order.reference
    assert row.title == f"Rejected, fix needed: US local sub order of {reference}"
    assert row.url == f"/compliance/sub-orders/{sub_order.public_id}/"
