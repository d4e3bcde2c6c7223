"""The bell, the list and the preferences page, as their users see them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from notifications.events import Channel, Event
from notifications.models import MailDigest, Notification, NotificationPreference
from notifications.notify import notify
from tests.fixtures.people import signed_in_client
from tests.orders.factories import OrderedNumberFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def bell_label(html: str) -> str:
    found = re.search(r'id="notification-bell"[^>]*aria-label="([^"]+)"', html)
    assert found, "no bell on the page"
    return found.group(1)


@pytest.fixture
def three_for_bob(bob):
    """Three notifications of bob's (one read), and one of alice's."""
    rows = []
    for n in range(3):
        sub = OrderedNumberFactory(sub_order__number_order__placed_by=bob).sub_order
        rows += notify(Event.REJECTED, sub, f"k{n}")
    Notification.objects.filter(pk=rows[0].pk).update(read_at=rows[0].created_at)
    return rows


def test_the_bell_shows_the_unread_count_on_every_page(bob, alice, three_for_bob):
    client = signed_in_client(bob)
    assert bell_label(client.get(reverse("home")).content.decode()) == "Notifications, 2 unread"
    assert bell_label(signed_in_client(alice).get(reverse("home")).content.decode()) == (
        "Notifications, 0 unread"
    )
    polled = client.get(reverse("notifications:bell"), headers=HTMX).content.decode()
    assert bell_label(polled) == "Notifications, 2 unread"
    assert 'hx-trigger="every' in polled and "data-live" in polled


def test_a_row_by_e_mail_only_is_not_in_the_bell_or_the_list(sub_order, bob):
    NotificationPreference.objects.create(user=bob, event=Event.REJECTED, channel=Channel.EMAIL)
    notify(Event.REJECTED, sub_order, "k")
    client = signed_in_client(bob)
    assert bell_label(client.get(reverse("home")).content.decode()) == "Notifications, 0 unread"
    assert "No notifications." in client.get(reverse("notifications:list")).content.decode()


def test_the_list_shows_unread_first_with_links_to_the_pages(bob, three_for_bob):
    html = signed_in_client(bob).get(reverse("notifications:list")).content.decode()
    rows = re.findall(r'<tr data-notification="rejected"( class="unread")?>', html)
    assert [bool(r) for r in rows] == [True, True, False]
    for row in three_for_bob:
        assert f'href="{row.url}"' in html


def test_marking_one_read_by_post_updates_the_list_and_the_bell(bob, three_for_bob):
    client = signed_in_client(bob)
    target = three_for_bob[2]
    url = reverse("notifications:read", args=[target.public_id])
    assert client.get(url).status_code == 405  # reading never changes state on GET
    response = client.post(url, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 unread" in html
    assert 'hx-swap-oob="true"' in html and "Notifications, 1 unread" in html
    target.refresh_from_db()
    assert target.read_at is not None


def test_mark_all_read(bob, three_for_bob):
    client = signed_in_client(bob)
    response = client.post(reverse("notifications:read-all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=bob, read_at__isnull=True).exists()


def test_p34_nobody_reads_or_marks_another_users_notification(alice, bob, three_for_bob):
    target = three_for_bob[1]
    client = signed_in_client(alice)
    assert target.title not in client.get(reverse("notifications:list")).content.decode()
    response = client.post(reverse("notifications:read", args=[target.public_id]))
    assert response.status_code == 404
    client.post(reverse("notifications:read-all"))
    target.refresh_from_db()
    assert target.read_at is None


def test_the_list_is_paged(bob):
    sub = OrderedNumberFactory(sub_order__number_order__placed_by=bob).sub_order
    for n in range(30):
        notify(Event.COMMENT, sub, f"c{n}")
    client = signed_in_client(bob)
    first = client.get(reverse("notifications:list")).content.decode()
    assert first.count('<tr data-notification="comment"') == 25
    assert "Page 1 of 2" in first
    second = client.get(reverse("notifications:list") + "?page=2").content.decode()
    assert second.count('<tr data-notification="comment"') == 5


def test_preferences_show_a_labelled_select_per_event_and_save(bob):
    client = signed_in_client(bob)
    html = client.get(reverse("notifications:preferences")).content.decode()
    for event in Event:
        field = f"id_event_{event.value}"
        assert f'<label for="{field}">{event.label}</label>' in html
        assert f'<select name="event_{event.value}"' in html
    assert 'name="digest"' in html
    data = {f"event_{e.value}": Channel.IN_APP for e in Event}
    data["event_comment"] = Channel.OFF
    data["digest"] = "on"
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=bob, event=Event.COMMENT).channel == "off"
    assert MailDigest.objects.get(user=bob).enabled
    html = client.get(reverse("notifications:preferences")).content.decode()
    assert re.search(r'<option value="off" selected>Off</option>', html)


def test_bad_preference_input_changes_nothing(bob):
    client = signed_in_client(bob)
    data = {f"event_{e.value}": "carrier-pigeon" for e in Event}
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not NotificationPreference.objects.exists()
