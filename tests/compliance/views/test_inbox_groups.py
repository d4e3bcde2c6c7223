"""Requirement groups in the inbox, against the sandbox over HTTP: a group Telnyx declined
(with its reviewer's comment) is an open item and the comment an unread one; marking read
(from the inbox or the group's page) goes to Telnyx first and is audited; replies from the
group's page reach Telnyx and name their portal author; the owner is notified once."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from compliance import groups
from compliance.models import AuditEntry, RequirementGroupComment, RequirementGroupLink
from notifications.models import Notification
from portal.roles import STAFF
from tests.compliance.test_groups import build, ch_data, send_through, upload, vet_and_sync
from tests.compliance.views.test_comments import read_marks
from tests.fixtures.people import make_person, signed_in_client

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

INBOX = reverse("compliance:inbox")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def declined_group(
    sandbox, alice_client, maria_client, eager_celery, django_capture_on_commit_callbacks
) -> RequirementGroupLink:
    """Alice's CH local group, approved by Maria, declined by the sandbox with a comment."""
    assert groups.catalogue.refresh() > 0
    document = upload(alice_client)
    build(alice_client, ch_data(document, name="REJECT Widgets"))
    link = RequirementGroupLink.objects.get()
    send_through(maria_client, link, django_capture_on_commit_callbacks)
    vet_and_sync(sandbox, link)
    assert link.status == "declined"
    sandbox.clear_requests()
    return link


def group_comment(link: RequirementGroupLink) -> RequirementGroupComment:
    return RequirementGroupComment.objects.get(group=link, commenter_type="admin")


def unread_at_telnyx(sandbox, link) -> list[str]:
    params = {
        "filter[comment_record_type]": "requirement_group",
        "filter[comment_record_id]": link.telnyx_id,
    }
    data = sandbox.http.get("/comments", params=params).json()["data"]
    return [c["id"] for c in data if c["commenter_type"] == "admin" and not c.get("read_at")]


def inbox_read_url(comment: RequirementGroupComment) -> str:
    return reverse(
        "compliance:inbox-group-comment-read", args=[comment.group.public_id, comment.telnyx_id]
    )


def badge(html: str) -> int:
    return int(html.split('data-inbox-count="', 1)[1].split('"', 1)[0])


def test_a_declined_group_and_its_comment_are_in_the_inbox_with_the_group_as_record(
    declined_group, alice_client
):
    comment = group_comment(declined_group)
    html = alice_client.get(INBOX).content.decode()
    assert badge(html) == 2  # the unread comment and the open declined group
    rows = [p.split("</li>", 1)[0] for p in html.split("data-inbox-item")[1:]]
    kinds = {row.split('data-kind="', 1)[1].split('"', 1)[0]: row for row in rows}
    assert set(kinds) == {"group-comment", "group-declined"}
    page = declined_group.get_absolute_url()
    for row in kinds.values():
        assert f'<a href="{page}">CH local requirement group</a>' in row
        assert "Owner: <span data-owner><em>Unassigned</em>" in row and "data-sla" in row
    said = kinds["group-comment"]
    assert "Unread" in said and "End user name" in said and inbox_read_url(comment) in said
    assert "Requirement group declined by Telnyx" in kinds["group-declined"]
    assert reverse("compliance:group-edit", args=[declined_group.public_id]) in html
    # Corrected and on its way again: no longer open.
    RequirementGroupLink.objects.filter(pk=declined_group.pk).update(stage="draft")
    html = alice_client.get(INBOX).content.decode()
    assert 'data-kind="group-declined"' not in html and badge(html) == 1


def test_marking_a_group_comment_read_from_the_inbox_reaches_telnyx_first_and_is_audited(
    sandbox, declined_group, alice_client
):
    comment = group_comment(declined_group)
    before = badge(alice_client.get(INBOX).content.decode())
    response = alice_client.post(inbox_read_url(comment), {"next": INBOX}, headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="inbox-group-comment-{comment.telnyx_id}"')
    assert 'data-unread="false"' in html and "data-mark-read" not in html
    assert f'data-inbox-count="{before - 1}"' in html
    assert [m["path"] for m in read_marks(sandbox)] == [f"/v2/comments/{comment.telnyx_id}/read"]
    assert unread_at_telnyx(sandbox, declined_group) == []
    comment.refresh_from_db()
    assert comment.read_at is not None
    entry = AuditEntry.objects.get(action="comments.marked_read")
    assert entry.actor.username == "alice" and "requirementgrouplink" in entry.target_type.lower()
    assert entry.target_id in (str(declined_group.pk), str(declined_group.public_id))
    # Again: nothing to send. Without JavaScript: back to the inbox.
    response = alice_client.post(inbox_read_url(comment), {"next": INBOX + "?unread=on"})
    assert response.status_code == 302 and response["Location"] == INBOX + "?unread=on"
    assert len(read_marks(sandbox)) == 1


def test_mark_all_on_a_group_reads_only_what_telnyx_took(sandbox, declined_group, alice_client):
    stranger = RequirementGroupComment.objects.create(
        telnyx_id=str(uuid.uuid4()),
        group=declined_group,
        body="Not at Telnyx",
        commenter_type="admin",
    )
    url = reverse("compliance:inbox-group-read", args=[declined_group.public_id])
    assert alice_client.post(url, {"next": "https://evil.example/"})["Location"] == INBOX
    assert group_comment_ids_unread(declined_group) == [stranger.telnyx_id]
    assert unread_at_telnyx(sandbox, declined_group) == []


def group_comment_ids_unread(link) -> list[str]:
    return list(
        link.comments.filter(commenter_type="admin", read_at__isnull=True).values_list(
            "telnyx_id", flat=True
        )
    )


def test_the_group_page_marks_unread_comments_and_marks_them_read_on_request(
    sandbox, declined_group, alice_client
):
    comment = group_comment(declined_group)
    page = declined_group.get_absolute_url()
    html = alice_client.get(page).content.decode()
    assert "data-unread-marker" in html and "Telnyx reviewer" in html
    one = reverse(
        "compliance:group-comment-read", args=[declined_group.public_id, comment.telnyx_id]
    )
    assert f'action="{one}"' in html and "data-mark-all-read" in html
    assert read_marks(sandbox) == []  # opening the page marked nothing
    # A comment Telnyx does not know: the mark fails, it stays unread, and the page says so.
    ghost = RequirementGroupComment.objects.create(
        telnyx_id=str(uuid.uuid4()), group=declined_group, body="Ghost", commenter_type="admin"
    )
    ghost_url = reverse(
        "compliance:group-comment-read", args=[declined_group.public_id, ghost.telnyx_id]
    )
    html = alice_client.post(ghost_url, headers=HTMX).content.decode()
    assert "Telnyx did not take the read mark" in html
    ghost.delete()
    html = alice_client.post(one, headers=HTMX).content.decode()
    assert html.lstrip().startswith('<section id="comments"')
    assert "data-unread-marker" not in html and "data-mark-read" not in html
    assert 'data-inbox-count="1"' in html  # the declined group stays open
    assert unread_at_telnyx(sandbox, declined_group) == []
    comment.refresh_from_db()
    assert comment.read_at is not None
    # Without JavaScript: back to the group's page.
    response = alice_client.post(
        reverse("compliance:group-comments-read", args=[declined_group.public_id])
    )
    assert response.status_code == 302 and response["Location"].startswith(page)


def test_p36_marking_read_on_the_group_page_is_a_post_with_csrf(sandbox, declined_group, alice):
    client = signed_in_client(alice, enforce_csrf_checks=True)
    url = reverse("compliance:group-comments-read", args=[declined_group.public_id])
    assert client.get(url).status_code == 405
    assert client.post(url, headers=HTMX).status_code == 403
    assert read_marks(sandbox) == []


def test_a_reply_from_the_group_page_reaches_telnyx_and_names_its_portal_author(
    sandbox, declined_group, alice_client
):
    thread = reverse("compliance:group-comments", args=[declined_group.public_id])
    # The question template, with one of the group's requirements by name.
    page = alice_client.get(declined_group.get_absolute_url()).content.decode()
    assert "Question about a requirement" in page and "End user name" in page
    requirement = next(
        rid
        for rid, name in groups.catalogue.cached(declined_group.requirement_ids).items()
        if name.name == "End user name"
    )
    html = alice_client.post(
        thread,
        {"template": "question", "requirement": requirement, "use_template": "1"},
        headers=HTMX,
    ).content.decode()
    expected = (
        f'Question about the requirement "End user name" of requirement group '
        f"{declined_group.telnyx_id}: [your question]"
    )
    assert expected.replace('"', "&quot;") in html
    assert sandbox.requests(path="/v2/comments", method="POST") == []  # nothing sent yet
    # Without JavaScript, "Use template" comes back to the page with the reply box filled.
    response = alice_client.post(
        thread, {"template": "question", "requirement": requirement, "use_template": "1"}
    )
    assert response.status_code == 302
    filled = alice_client.get(response["Location"]).content.decode()
    assert f"{expected}</textarea>".replace('"', "&quot;") in filled
    response = alice_client.post(
        thread, {"template": "question", "requirement": "x", "use_template": "1"}, headers=HTMX
    )
    assert "Choose one of this group&#x27;s requirements." in response.content.decode()
    body = expected.replace("[your question]", "may it be the trading name?")
    html = alice_client.post(thread, {"body": body}, headers=HTMX).content.decode()
    posted = sandbox.requests(path="/v2/comments", method="POST")
    assert len(posted) == 1
    sent = json.loads(posted[0]["body"])
    assert sent["comment_record_type"] == "requirement_group"
    assert sent["comment_record_id"] == declined_group.telnyx_id and sent["body"] == body
    ours = RequirementGroupComment.objects.get(group=declined_group, commenter_type="user")
    assert ours.author.username == "alice"
    assert "<strong data-writer>alice (via portal)</strong>" in html
    # The next sync keeps the author; the inbox shows the comment answered.
    groups.sync()
    ours.refresh_from_db()
    assert ours.author is not None
    assert "Answered by <span data-writer>alice (via portal)</span>" in (
        alice_client.get(INBOX).content.decode()
    )
    # An empty reply: a clear message, nothing sent.
    html = alice_client.post(thread, {"body": "  "}, headers=HTMX).content.decode()
    assert "Write a reply" in html
    assert len(sandbox.requests(path="/v2/comments", method="POST")) == 1


def test_the_groups_owner_is_notified_once_of_the_decline_and_of_the_comment(
    sandbox, declined_group, alice, maria
):
    bob = make_person("bob", STAFF)
    mine = Notification.objects.filter(recipient=alice)
    assert sorted(mine.values_list("event", flat=True)) == ["comment", "rejected"]
    page = declined_group.get_absolute_url()
    assert set(mine.values_list("url", flat=True)) == {page, page + "#comments"}
    assert all("requirement group CH local" in n.title for n in mine)
    assert "Widgets" not in "".join(n.title + n.details for n in mine)  # no value, no text
    assert not Notification.objects.filter(recipient=bob).exists()
    assert not Notification.objects.exclude(event="approval").filter(recipient=maria).exists()
    groups.sync()
    assert mine.count() == 2
    # Once assigned, the assignee hears of the next comment, not the requester.
    RequirementGroupLink.objects.filter(pk=declined_group.pk).update(assignee=bob)
    declined_group.refresh_from_db()
    remote = type("Remote", (), {"id": uuid.uuid4(), "commenter_type": "admin", "body": "Also"})
    groups.store_comment(declined_group, remote)
    assert Notification.objects.filter(recipient=bob, event="comment").count() == 1
    assert mine.count() == 2
