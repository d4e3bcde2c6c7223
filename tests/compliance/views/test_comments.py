"""The comment thread: admin vs our comments, read marks (a POST) sent to Telnyx, replies,
extensions."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from compliance.models import AuditEntry
from tests.fixtures.people import signed_in_client

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def read_marks(sandbox) -> list:
    return [r for r in sandbox.requests(method="PATCH") if r["path"].endswith("/read")]


def unread_at_telnyx(sandbox, sub_order) -> list[str]:
    """Ids of the admin comments the sandbox still has unread for ``sub_order``."""
    params = {
        "filter[comment_record_type]": "sub_number_order",
        "filter[comment_record_id]": sub_order.telnyx_id,
    }
    data = sandbox.http.get("/comments", params=params).json()["data"]
    return [c["id"] for c in data if c["commenter_type"] == "admin" and not c.get("read_at")]


def test_opening_the_thread_changes_nothing_here_or_at_telnyx(
    sandbox, declined_sub_order, alice_client
):
    page_url = reverse("compliance:sub-order", args=[declined_sub_order.public_id])
    assert "data-comments-unread" in alice_client.get(page_url).content.decode()
    url = reverse("compliance:comments", args=[declined_sub_order.public_id])
    at_telnyx = unread_at_telnyx(sandbox, declined_sub_order)
    assert at_telnyx
    for _ in range(2):
        response = alice_client.get(url, headers={"HX-Request": "true"})
        assert response.status_code == 200
        body = response.content.decode()
        assert 'data-commenter-type="admin"' in body
        assert "<strong>new</strong>" in body and "data-mark-read" in body
        assert "no-store" in response["Cache-Control"]
    admin = declined_sub_order.comments.filter(commenter_type="admin")
    assert admin.filter(read_at__isnull=True).count() == admin.count()
    assert read_marks(sandbox) == []
    assert unread_at_telnyx(sandbox, declined_sub_order) == at_telnyx
    assert "data-comments-unread" in alice_client.get(page_url).content.decode()
    assert not AuditEntry.objects.filter(action="comments.marked_read").exists()


def test_p36_marking_read_is_a_post_with_csrf_that_reaches_telnyx_first(
    sandbox, declined_sub_order, alice
):
    client = signed_in_client(alice, enforce_csrf_checks=True)
    read_url = reverse("compliance:comments-read", args=[declined_sub_order.public_id])
    admin = declined_sub_order.comments.filter(commenter_type="admin")
    assert client.get(read_url).status_code == 405
    assert client.post(read_url, headers={"HX-Request": "true"}).status_code == 403
    assert read_marks(sandbox) == [] and admin.filter(read_at__isnull=True).exists()

    thread = client.get(reverse("compliance:comments", args=[declined_sub_order.public_id]))
    token = thread.cookies["csrftoken"].value
    response = client.post(read_url, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    assert "<strong>new</strong>" not in response.content.decode()
    assert "data-mark-read" not in response.content.decode()
    assert len(read_marks(sandbox)) == admin.count()
    assert not admin.filter(read_at__isnull=True).exists()
    assert unread_at_telnyx(sandbox, declined_sub_order) == []
    assert AuditEntry.objects.filter(action="comments.marked_read").count() == 1
    page_url = reverse("compliance:sub-order", args=[declined_sub_order.public_id])
    assert "data-comments-unread" not in client.get(page_url).content.decode()
    # Nothing left to mark: a second POST sends nothing.
    client.post(read_url, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert len(read_marks(sandbox)) == admin.count()


def test_a_reply_is_posted_to_telnyx_and_shown_as_ours(sandbox, declined_sub_order, alice_client):
    url = reverse("compliance:comments", args=[declined_sub_order.public_id])
    response = alice_client.post(
        url, {"body": "Corrected the company name."}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    posts = sandbox.requests(path="/v2/comments", method="POST")
    assert len(posts) == 1
    sent = json.loads(posts[0]["body"])
    assert sent["comment_record_type"] == "sub_number_order"
    assert sent["comment_record_id"] == declined_sub_order.telnyx_id
    assert 'data-commenter-type="user"' in response.content.decode()
    assert "Corrected the company name." in response.content.decode()
    assert AuditEntry.objects.filter(action="telnyx.comment_posted").count() == 1


def test_request_deadline_extension_posts_a_templated_comment(
    sandbox, declined_sub_order, alice_client
):
    url = reverse("compliance:request-extension", args=[declined_sub_order.public_id])
    response = alice_client.post(
        url,
        {"days": 7, "reason": "Waiting for the\nnotarised copy"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    (post,) = sandbox.requests(path="/v2/comments", method="POST")
    body = json.loads(post["body"])["body"]
    assert body.startswith("Deadline extension request")
    assert "by 7 day(s)" in body
    assert declined_sub_order.numbers.get().phone_number in body
    assert "Waiting for the notarised copy" in body
    assert AuditEntry.objects.filter(action="deadline.extension_requested").count() == 1


def test_p35_people_without_fill_permission_cannot_reply(sandbox, declined_sub_order, olga_client):
    url = reverse("compliance:comments", args=[declined_sub_order.public_id])
    assert olga_client.post(url, {"body": "hi"}).status_code == 404
    assert sandbox.requests(path="/v2/comments", method="POST") == []
