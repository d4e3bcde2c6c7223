"""The inbox: admin comments and declined requirements in one list, unread first, with the
record, owner and SLA clock; filters; paging at a constant query cost; GET changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance import inbox
from compliance.models import (
    AuditEntry,
    RequirementGroupComment,
    RequirementGroupLink,
    RequirementType,
)
from orders.models import NumberStatusChange, OrderedNumber, SubOrderComment
from tests.compliance.test_work_queue import ADDRESS, DOCUMENT, make_number
from tests.fixtures.people import signed_in_client
from tests.orders.factories import bulk_open_orders

pytestmark = pytest.mark.django_db

URL = reverse("compliance:inbox")
LIST = reverse("compliance:inbox-list")


@pytest.fixture(autouse=True)
def catalogue(db):
    RequirementType.objects.create(telnyx_id=ADDRESS, name="Business address", field_type="address")
    RequirementType.objects.create(
        telnyx_id=DOCUMENT, name="Proof of address", field_type="document"
    )


def comment(
    number: OrderedNumber, body: str, hours_ago: float, read: bool = False, **extra
) -> SubOrderComment:
    at = timezone.now() - timedelta(hours=hours_ago)
    return SubOrderComment.objects.create(
        telnyx_id=str(uuid.uuid4()),
        sub_order=number.sub_order,
        body=body,
        commenter="numbers-ops@telnyx.com",
        commenter_type=extra.pop("commenter_type", "admin"),
        telnyx_created_at=at,
        read_at=at + timedelta(minutes=5) if read else None,
        **extra,
    )


def declined(hours_ago: float, **kwargs) -> OrderedNumber:
    number = make_number("requirement-info-exception", statuses=("approved", "declined"), **kwargs)
    at = timezone.now() - timedelta(hours=hours_ago)
    NumberStatusChange.objects.create(
        number=number,
        field="requirements_status",
        old_value="requirement-info-under-review",
        new_value="requirement-info-exception",
        at=at,
        source="sync",
    )
    # As the mirror does with the history row: the clock reads this stamp.
    OrderedNumber.objects.filter(pk=number.pk).update(requirements_status_changed_at=at)
    number.requirements_status_changed_at = at
    return number


def group(country: str = "CH", **fields) -> RequirementGroupLink:
    return RequirementGroupLink.objects.create(
        telnyx_id=str(uuid.uuid4()),
        country_code=country,
        phone_number_type="local",
        status=fields.pop("status", "pending-approval"),
        stage="sent",
        **fields,
    )


def group_comment(
    link: RequirementGroupLink, body: str, hours_ago: float, read: bool = False
) -> RequirementGroupComment:
    at = timezone.now() - timedelta(hours=hours_ago)
    return RequirementGroupComment.objects.create(
        telnyx_id=str(uuid.uuid4()),
        group=link,
        body=body,
        commenter="numbers-ops@telnyx.com",
        commenter_type="admin",
        telnyx_created_at=at,
        read_at=at + timedelta(minutes=5) if read else None,
    )


def items(html: str) -> list[str]:
    """The inbox items of a page, in order, as their HTML."""
    parts = html.split("data-inbox-item")[1:]
    return [p.split("</li>", 1)[0] for p in parts]


def test_comments_and_declined_requirements_in_one_list_unread_first_then_newest(alice_client):
    rejected = declined(hours_ago=30)
    pending = make_number()
    old_read = comment(pending, "Thanks, all fine now.", hours_ago=1, read=True)
    fresh = comment(pending, "Please send a utility bill\nnot older than 3 months", hours_ago=2)
    older = comment(rejected, "The company name does not match", hours_ago=40)
    comment(pending, "Our own reply", hours_ago=0.5, commenter_type="user")  # not an admin one

    html = alice_client.get(URL).content.decode()
    rows = items(html)
    assert len(rows) == 4
    # Unread or open first, newest first among them; then the read comment.
    assert "Please send a utility bill" in rows[0] and "Unread" in rows[0]
    assert 'data-kind="declined"' in rows[1] and "Declined: Proof of address" in rows[1]
    assert "does not match" in rows[2] and "Unread" in rows[2]
    assert old_read.body in rows[3] and "Read" in rows[3] and "data-mark-read" not in rows[3]
    assert "Our own reply" not in html
    # The record each belongs to, its owner and the SLA clock in words.
    order = pending.number_order
    assert order.reference in rows[0] and "DE local sub order" in rows[0]
    assert pending.phone_number in rows[0] and "Unassigned" in rows[0]
    assert rejected.phone_number in rows[1] and rejected.number_order.reference in rows[1]
    assert "2 h 0 min ago" in rows[0] or "1 h 59 min ago" in rows[0]
    assert "1 d 6 h ago" in rows[1] or "1 d 5 h ago" in rows[1]
    # Beyond INBOX_SLA_HOURS (24) an unread/open item is flagged; a read one never.
    assert "data-over-sla" in rows[1] and "data-over-sla" in rows[2]
    assert "data-over-sla" not in rows[0] and "data-over-sla" not in rows[3]
    assert fresh.telnyx_id in rows[0] and older.telnyx_id in rows[2]


def test_the_sla_is_configurable(alice_client, settings):
    number = make_number()
    comment(number, "Please check", hours_ago=3)
    assert "data-over-sla" not in alice_client.get(URL).content.decode()
    settings.INBOX_SLA_HOURS = 2
    html = alice_client.get(URL).content.decode()
    assert "data-over-sla" in html and "Over the 2 h SLA" in html


def test_clock_in_words():
    assert inbox.clock(timedelta(minutes=7, seconds=40)) == "7 min"
    assert inbox.clock(timedelta(hours=3, minutes=12)) == "3 h 12 min"
    assert inbox.clock(timedelta(days=2, hours=5, minutes=1)) == "2 d 5 h"
    assert inbox.clock(None) == "—"


def test_filters_mine_unassigned_unread_only_and_country(alice, maria, alice_client):
    mine = make_number(assignee=alice)
    theirs = make_number(assignee=maria, country="FR")
    nobody = make_number()
    comment(mine, "For alice", hours_ago=1)
    comment(theirs, "For maria", hours_ago=1)
    comment(nobody, "For nobody", hours_ago=1, read=True)

    def shown(**query) -> str:
        return alice_client.get(URL, query).content.decode()

    assert all(t in shown() for t in ("For alice", "For maria", "For nobody"))
    only_mine = shown(scope="mine")
    assert "For alice" in only_mine and "For maria" not in only_mine
    unassigned = shown(scope="unassigned")
    assert "For nobody" in unassigned and "For alice" not in unassigned
    unread = shown(unread="on")
    assert "For alice" in unread and "For maria" in unread and "For nobody" not in unread
    france = shown(country="FR")
    assert "For maria" in france and "For alice" not in france
    # Bad values: a clear message on the form, never a 500.
    response = alice_client.get(URL, {"scope": "bogus", "country": "ZZ"})
    assert response.status_code == 200


def test_reading_the_inbox_changes_nothing(alice_client):
    number = declined(hours_ago=1)
    unread = comment(number, "Please fix", hours_ago=1)
    for _ in range(2):
        assert alice_client.get(URL).status_code == 200
        assert alice_client.get(LIST, HTTP_HX_REQUEST="true").status_code == 200
    unread.refresh_from_db()
    assert unread.read_at is None
    assert not AuditEntry.objects.filter(action="comments.marked_read").exists()
    html = alice_client.get(URL).content.decode()
    assert 'data-inbox-count="2"' in html  # the nav badge: one comment, one declined number


def test_the_list_region_alone_is_polled_and_holds_no_field_to_type_in(alice_client):
    comment(make_number(), "Please fix", hours_ago=1)
    page = alice_client.get(URL, {"scope": "mine", "unread": "on"}).content.decode()
    assert f'hx-get="{LIST}?scope=mine&amp;unread=on&amp;page=1"' in page
    response = alice_client.get(LIST, {"scope": "everyone"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="inbox-list" data-live')
    assert 'hx-trigger="every 15s, live:refresh"' in html and "Please fix" in html
    assert "<textarea" not in html and "<select" not in html and 'type="text"' not in html
    assert "Filter the inbox" not in html
    assert 'id="inbox-badge"' in html and 'hx-swap-oob="true"' in html


def test_p39_the_inbox_polling_does_not_keep_an_unattended_session_alive(settings, alice):
    idle = timedelta(seconds=settings.SESSION_IDLE_TIMEOUT)
    with time_machine.travel("2026-01-05 09:00:00Z", tick=False) as clock:
        client = signed_in_client(alice)
        client.get(URL)
        for _ in range(3):
            clock.shift(idle / 3 - timedelta(seconds=1))
            assert client.get(LIST, headers={"HX-Request": "true"}).status_code == 200
        clock.shift(timedelta(seconds=10))
        response = client.get(LIST, headers={"HX-Request": "true"})
    assert "HX-Redirect" in response


def test_people_without_a_role_get_no_inbox(olga_client):
    assert olga_client.get(URL).status_code == 404
    assert olga_client.get(LIST).status_code == 404
    assert "Inbox" not in olga_client.get(reverse("home")).content.decode()


def test_a_long_inbox_is_paged(alice_client):
    number = make_number()
    for i in range(inbox.PAGE_SIZE + 3):
        comment(number, f"Remark number {i:02d}.", hours_ago=i + 1)
    first = alice_client.get(URL).content.decode()
    assert len(items(first)) == inbox.PAGE_SIZE and "Remark number 00." in first
    second = alice_client.get(URL, {"page": 2}).content.decode()
    assert len(items(second)) == 3 and "Remark number 22." in second
    assert "Remark number 00." not in second
    assert alice_client.get(URL, {"page": "x"}).status_code == 200


def test_the_inbox_costs_the_same_queries_at_100_and_10000_orders(
    maria_client, django_assert_max_num_queries
):
    maria_client.get(URL)  # the session's first request does its own bookkeeping
    counts = []
    for size in (100, 9_900):
        bulk_open_orders(size, ADDRESS)
        # An admin comment on every sub order, a third of them read.
        SubOrderComment.objects.bulk_create(
            SubOrderComment(
                telnyx_id=str(uuid.uuid4()),
                sub_order_id=sub_id,
                body="Some requirement values were declined",
                commenter_type="admin",
                telnyx_created_at=timezone.now() - timedelta(minutes=i),
                read_at=timezone.now() if i % 3 == 0 else None,
            )
            for i, sub_id in enumerate(
                OrderedNumber.objects.filter(sub_order__comments__isnull=True).values_list(
                    "sub_order_id", flat=True
                )
            )
        )
        # Requirement groups as well (a group per 10 orders, its comment read and old), and
        # on top of the page new comments with our reply and just declined groups.
        RequirementGroupComment.objects.bulk_create(
            RequirementGroupComment(
                telnyx_id=str(uuid.uuid4()),
                group=group(country="DE"),
                body="Old",
                commenter_type="admin",
                telnyx_created_at=timezone.now() - timedelta(days=30),
                read_at=timezone.now(),
            )
            for _ in range(size // 10)
        )
        # And sub orders' comments among them, so every kind is on the first page.
        SubOrderComment.objects.bulk_create(
            SubOrderComment(
                telnyx_id=str(uuid.uuid4()),
                sub_order_id=sub_id,
                body="Please also send the ID card",
                commenter_type="admin",
                telnyx_created_at=timezone.now() + timedelta(hours=1, minutes=i),
            )
            for i, sub_id in enumerate(
                OrderedNumber.objects.order_by("-pk").values_list("sub_order_id", flat=True)[:3]
            )
        )
        for i in range(4):
            link = group(country="DE", status="declined" if i % 2 else "approved")
            group_comment(link, "Which extract?", hours_ago=-1 - i / 100)
            RequirementGroupComment.objects.create(
                telnyx_id=str(uuid.uuid4()),
                group=link,
                body="Ours",
                commenter_type="user",
                telnyx_created_at=timezone.now() + timedelta(hours=2),
            )
        with CaptureQueriesContext(connection) as queries:
            response = maria_client.get(URL, {"country": "DE", "scope": "everyone"})
        assert response.status_code == 200
        rows = items(response.content.decode())
        assert len(rows) == inbox.PAGE_SIZE
        kinds = {row.split('data-kind="', 1)[1].split('"', 1)[0] for row in rows}
        assert kinds == {"comment", "declined", "group-comment", "group-declined"}, kinds
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    # Session, user, device, permissions (2), countries, count, page, one load per kind on
    # the page (4, and the declined numbers' requirement names), the numbers and replies of
    # its sub orders, the replies of its groups, the badge, the bell: nothing per row.
    with django_assert_max_num_queries(18):
        maria_client.get(URL, {"country": "DE", "scope": "everyone"})


def test_group_comments_and_declined_groups_join_the_list_with_their_group_and_owner(
    alice, alice_client
):
    number = make_number()
    comment(number, "About the sub order", hours_ago=3)
    asked = group(assignee=alice)
    group_comment(asked, "Which registry extract?", hours_ago=1)
    group_comment(asked, "Old and read", hours_ago=50, read=True)
    declined_at = timezone.now() - timedelta(hours=30)
    refused = group(country="FR", status="declined", status_changed_at=declined_at)
    # Declined, but corrected and back in draft: not open any more.
    RequirementGroupLink.objects.create(
        telnyx_id=str(uuid.uuid4()),
        country_code="CH",
        phone_number_type="local",
        status="declined",
        stage="draft",
    )

    rows = items(alice_client.get(URL).content.decode())
    assert len(rows) == 4
    assert 'data-kind="group-comment"' in rows[0] and "Which registry extract?" in rows[0]
    assert f'<a href="{asked.get_absolute_url()}">CH local requirement group</a>' in rows[0]
    assert "<span data-owner>alice</span>" in rows[0] and "Unread" in rows[0]
    assert "1 h 0 min ago" in rows[0] or "59 min ago" in rows[0]
    assert "About the sub order" in rows[1]
    assert 'data-kind="group-declined"' in rows[2] and "FR local requirement group" in rows[2]
    assert "1 d 6 h ago" in rows[2] or "1 d 5 h ago" in rows[2]
    assert "data-over-sla" in rows[2] and "<em>Unassigned</em>" in rows[2]
    assert refused.get_absolute_url() in rows[2]
    assert "Old and read" in rows[3] and "Read" in rows[3] and "data-mark-read" not in rows[3]
    # The nav badge: two unread comments and one open declined group.
    assert 'data-inbox-count="3"' in alice_client.get(URL).content.decode()


def test_the_filters_apply_to_requirement_groups_too(alice, maria, alice_client):
    group_comment(group(assignee=alice), "Group of alice", hours_ago=1)
    group_comment(group(country="FR", assignee=maria), "Group of maria", hours_ago=1)
    group_comment(group(), "Group of nobody", hours_ago=1, read=True)
    group(country="FR", status="declined")

    def shown(**query) -> str:
        return alice_client.get(URL, query).content.decode()

    only_mine = shown(scope="mine")
    assert "Group of alice" in only_mine and "Group of maria" not in only_mine
    assert 'data-kind="group-declined"' not in only_mine
    unassigned = shown(scope="unassigned")
    assert "Group of nobody" in unassigned and 'data-kind="group-declined"' in unassigned
    assert "Group of alice" not in unassigned
    unread = shown(unread="on")
    assert "Group of nobody" not in unread and "Group of maria" in unread
    france = shown(country="FR")
    assert "Group of maria" in france and "Group of alice" not in france
    assert 'data-kind="group-declined"' in france
    assert '<option value="CH">' in shown()  # a country only groups have can be chosen
