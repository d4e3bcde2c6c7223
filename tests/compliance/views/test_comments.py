"""The comment thread: admin vs our comments, read marks sent to Telnyx, replies, extensions."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from compliance.models import AuditEntry, SubmissionPolicy
from orders.sync import refresh_sub_order
from tests.compliance.helpers import form_data, submit, upload

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def declined_sub_order(
    sandbox, de_sub_order, alice_client, eager_celery, django_capture_on_commit_callbacks
):
    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    document_id = upload(alice_client, de_sub_order)
    with django_capture_on_commit_callbacks(execute=True):
        submit(alice_client, de_sub_order, form_data(de_sub_order, document_id, name="REJECT Co"))
    sandbox.advance(5)
    refresh_sub_order(de_sub_order)
    assert de_sub_order.comments.filter(commenter_type="admin", read_at__isnull=True).exists()
    sandbox.clear_requests()
    return de_sub_order


def test_opening_the_thread_marks_admin_comments_read_at_telnyx(
    sandbox, declined_sub_order, alice_client
):
    page_url = reverse("compliance:sub-order", args=[declined_sub_order.public_id])
    assert "data-unread" in alice_client.get(page_url).content.decode()
    url = reverse("compliance:comments", args=[declined_sub_order.public_id])
    response = alice_client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-commenter-type="admin"' in body
    assert "<strong>new</strong>" in body
    assert "no-store" in response["Cache-Control"]
    admin = declined_sub_order.comments.filter(commenter_type="admin")
    marks = [r for r in sandbox.requests(method="PATCH") if r["path"].endswith("/read")]
    assert len(marks) == admin.count()
    assert not admin.filter(read_at__isnull=True).exists()
    assert "data-unread" not in alice_client.get(page_url).content.decode()
    # Opening it again shows nothing as new and sends nothing.
    again = alice_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<strong>new</strong>" not in again
    assert len([r for r in sandbox.requests(method="PATCH") if r["path"].endswith("/read")]) == len(
        marks
    )


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
