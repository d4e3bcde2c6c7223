"""Marking read from the inbox (a POST, Telnyx first, audited; htmx row swap or a redirect
without JavaScript) and replies that name the portal user who wrote them, against the sandbox."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from compliance.models import AuditEntry
from notifications.models import Notification
from orders.models import SubOrderComment
from tests.compliance.views.test_comments import read_marks, unread_at_telnyx
from tests.fixtures.people import signed_in_client

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

INBOX = reverse("compliance:inbox")
HTMX = {"HX-Request": "true"}


def admin_comments(sub_order):
    return SubOrderComment.objects.filter(sub_order=sub_order, commenter_type="admin")


def read_url(comment: SubOrderComment) -> str:
    return reverse(
        "compliance:inbox-comment-read", args=[comment.sub_order.public_id, comment.telnyx_id]
    )


def test_marking_one_comment_read_swaps_its_row_and_badge_and_reaches_telnyx_first(
    sandbox, declined_sub_order, alice_client
):
    comment = admin_comments(declined_sub_order).order_by("telnyx_created_at").first()
    page = alice_client.get(INBOX).content.decode()
    before = int(page.split('data-inbox-count="', 1)[1].split('"', 1)[0])
    assert before >= 2  # the comment and the declined number
    assert read_url(comment) in page

    response = alice_client.post(read_url(comment), {"next": INBOX + "?scope=mine"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="inbox-comment-{comment.telnyx_id}"')
    assert 'data-unread="false"' in html and "data-mark-read" not in html
    assert f'data-inbox-count="{before - 1}"' in html and 'hx-swap-oob="true"' in html
    # Telnyx first, for that comment only; then here; audited.
    assert [m["path"] for m in read_marks(sandbox)] == [f"/v2/comments/{comment.telnyx_id}/read"]
    assert comment.telnyx_id not in unread_at_telnyx(sandbox, declined_sub_order)
    comment.refresh_from_db()
    assert comment.read_at is not None
    entry = AuditEntry.objects.get(action="comments.marked_read")
    assert entry.actor.username == "alice"
    # Again: nothing left to send.
    alice_client.post(read_url(comment), headers=HTMX)
    assert len(read_marks(sandbox)) == 1
    assert AuditEntry.objects.filter(action="comments.marked_read").count() == 1


def test_without_javascript_marking_read_redirects_back_to_the_inbox_only(
    sandbox, declined_sub_order, alice_client
):
    comment = admin_comments(declined_sub_order).first()
    response = alice_client.post(read_url(comment), {"next": INBOX + "?unread=on"})
    assert response.status_code == 302 and response["Location"] == INBOX + "?unread=on"
    comment.refresh_from_db()
    assert comment.read_at is not None
    for elsewhere in ("https://evil.example/", "//evil.example/x", reverse("home")):
        url = reverse("compliance:inbox-sub-order-read", args=[declined_sub_order.public_id])
        response = alice_client.post(url, {"next": elsewhere})
        assert response["Location"] == INBOX


def test_mark_all_on_a_sub_order_reads_every_admin_comment(
    sandbox, declined_sub_order, alice_client
):
    stranger = SubOrderComment.objects.create(
        telnyx_id=str(uuid.uuid4()),
        sub_order=declined_sub_order,
        body="Not at Telnyx",
        commenter_type="admin",
    )
    known = list(admin_comments(declined_sub_order).exclude(pk=stranger.pk))
    url = reverse("compliance:inbox-sub-order-read", args=[declined_sub_order.public_id])
    response = alice_client.post(url, {"next": INBOX})
    assert response.status_code == 302
    assert all(c.telnyx_id not in unread_at_telnyx(sandbox, declined_sub_order) for c in known)
    assert (
        not admin_comments(declined_sub_order)
        .filter(telnyx_id__in=[c.telnyx_id for c in known], read_at__isnull=True)
        .exists()
    )
    # The one Telnyx does not know stays unread here: nothing is marked read locally only.
    stranger.refresh_from_db()
    assert stranger.read_at is None


def test_a_refused_read_mark_says_so_and_leaves_the_comment_unread(
    sandbox, declined_sub_order, alice_client
):
    comment = SubOrderComment.objects.create(
        telnyx_id=str(uuid.uuid4()),
        sub_order=declined_sub_order,
        body="Unknown at Telnyx",
        commenter_type="admin",
    )
    html = alice_client.post(read_url(comment), headers=HTMX).content.decode()
    assert "Telnyx did not take the read mark" in html and 'data-unread="true"' in html
    comment.refresh_from_db()
    assert comment.read_at is None


def test_p36_marking_read_from_the_inbox_is_a_post_with_csrf(sandbox, declined_sub_order, alice):
    client = signed_in_client(alice, enforce_csrf_checks=True)
    comment = admin_comments(declined_sub_order).first()
    assert client.get(read_url(comment)).status_code == 405
    assert client.post(read_url(comment), headers=HTMX).status_code == 403
    assert read_marks(sandbox) == []
    token = client.get(INBOX).cookies["csrftoken"].value
    response = client.post(read_url(comment), headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 200 and len(read_marks(sandbox)) == 1


def test_a_reply_names_the_portal_user_in_the_thread_and_the_inbox(
    sandbox, declined_sub_order, alice_client
):
    thread = reverse("compliance:comments", args=[declined_sub_order.public_id])
    html = alice_client.post(
        thread, {"body": "Corrected the company name."}, headers=HTMX
    ).content.decode()
    ours = SubOrderComment.objects.get(sub_order=declined_sub_order, commenter_type="user")
    assert ours.author.username == "alice"
    assert ours.commenter  # Telnyx's API account stays recorded
    assert "alice (via portal)" in html and f">{ours.commenter}<" not in html
    assert "Telnyx Number Ops" in html  # admin comments keep their commenter
    inbox = alice_client.get(INBOX).content.decode()
    assert "Answered by <span data-writer>alice (via portal)</span>" in inbox
    order_page = alice_client.get(declined_sub_order.number_order.get_absolute_url())
    assert "<strong data-writer>alice (via portal)</strong>" in order_page.content.decode()
    # A comment the sync brings from elsewhere (no portal author) keeps Telnyx's commenter.
    SubOrderComment.objects.create(
        telnyx_id=str(uuid.uuid4()),
        sub_order=declined_sub_order,
        body="Written in the Telnyx portal",
        commenter="someone@company.example",
        commenter_type="user",
    )
    html = alice_client.get(thread, headers=HTMX).content.decode()
    assert "someone@company.example" in html


def test_marking_a_comment_read_also_reads_her_notification_of_it_and_nothing_else(
    sandbox, declined_sub_order, alice_client, alice, maria
):
    comment = admin_comments(declined_sub_order).order_by("telnyx_created_at").first()
    about_it = Notification.objects.get(
        recipient=alice, event="comment", dedupe_key=f"comment:{comment.telnyx_id}"
    )
    marias = Notification.objects.create(
        recipient=maria, event="comment", dedupe_key=about_it.dedupe_key, title="x", url="/"
    )
    rejected = Notification.objects.get(recipient=alice, event="rejected")
    assert about_it.read_at is None and rejected.read_at is None

    alice_client.post(read_url(comment), headers=HTMX)
    about_it.refresh_from_db()
    marias.refresh_from_db()
    rejected.refresh_from_db()
    assert about_it.read_at is not None  # the bell stops counting what she just read
    assert marias.read_at is None  # someone else's bell is theirs to clear
    assert rejected.read_at is None  # the rejection is not fixed by reading a comment
