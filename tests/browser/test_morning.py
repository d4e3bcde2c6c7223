"""A morning in the portal (issue 10): the work queue, the inbox, four eyes, a live approval.

Alice placed a DE local order; its first values were declined by the sandbox's Number Ops, so
it waits, unassigned, under "Rejected, fix needed" with an admin comment. Alice opens the work
queue and claims it, reads the comment in the inbox (unread, first, with its SLA clock) and
marks it read, follows the link to correct the declined name and resubmits; the four-eyes
policy holds it. Maria approves it from her own queue (the row leads to the admin's decision
page); a real worker sends it. The sandbox approves after its vetting time (its clock moved,
relative to wherever earlier tests left it); a real beat's active sync mirrors that, and
Alice's open sub order page shows "Approved" by itself. Notifications reach the right person
only: Alice (owner) the rejection in the portal and by e-mail, Maria the "waiting for your
approval" (Alice not), Bob nothing. Screenshots of each main page go to tests/artifacts/
(git-ignored); the queue, the inbox and the notifications pass axe-core's WCAG A/AA rules; no
page logs a console error or breaks the CSP (P25, P36).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from compliance.models import Submission
from notifications.models import Notification
from portal.roles import STAFF
from tests.browser.artifacts import screenshot
from tests.browser.sandbox_orders import place_at_sandbox
from tests.browser.submissions import declined_by_sandbox, wait_for_worker
from tests.browser.watch import sign_in
from tests.fixtures.browser import axe_violations
from tests.fixtures.people import make_person

pytestmark = [pytest.mark.browser, pytest.mark.integration]

VETTING_SECONDS = 600
DECLINED_NAME = "REJECT Widgets GmbH"


@pytest.fixture
def active_sync_seconds() -> int:
    """Beat re-reads the sub orders under review every 2 s: the approval shows in seconds."""
    return 2


@pytest.fixture
def sandbox_worker(
    celery_worker_factory: Any, sandbox_worker_env: dict[str, str], mailbox: Any, live_server: Any
) -> Any:
    """One worker for everything: the sandbox, the vault and the e-mails (to the mailbox)."""
    return celery_worker_factory(
        env={**sandbox_worker_env, **mailbox.env, "COMPLIANCE_PORTAL_URL": live_server.url}
    )


def test_issue_10_a_morning_claim_read_correct_approve_and_the_approval_arrives_by_itself(
    sandbox, alice, maria, beat, mailbox, open_page, live_server, settings
):
    settings.PORTAL_LIVE_POLL_SECONDS = 2
    bob = make_person("bob", STAFF)
    sandbox.configure(vetting_seconds=VETTING_SECONDS)
    order = place_at_sandbox(sandbox, alice, "DE", "local")
    sub_order = declined_by_sandbox(sandbox, order, alice, VETTING_SECONDS)
    number = sub_order.numbers.get()
    rejection = sub_order.comments.get(commenter_type="admin")
    assert sub_order.assignee is None

    # Alice's morning starts on the work queue.
    alice_page = open_page()
    page = alice_page.page
    sign_in(page, alice, live_server.url)
    row = page.locator("#queue-rejected tr[data-row]", has_text=number.phone_number)
    expect(row).to_contain_text("Declined: End user name")
    expect(row.locator("[data-comment]")).to_contain_text(
        "End user name: the value was not accepted"
    )  # the reason Telnyx gives, not its generic first line
    expect(row.locator("[data-owner]")).to_contain_text("Unassigned")
    expect(page.locator("#notification-bell")).not_to_have_attribute(
        "aria-label", "Notifications, 0 unread"
    )
    screenshot(page, "morning-work-queue")
    assert axe_violations(page) == []
    row.get_by_role("button", name="Claim").click()
    expect(row.locator("[data-owner]")).to_have_text("alice")

    # The inbox: the admin comment, unread, first, with the SLA clock; she marks it read.
    page.get_by_role("link", name=re.compile(r"^Inbox")).click()
    first = page.locator("[data-inbox-item]").first
    expect(first).to_have_id(f"inbox-comment-{rejection.telnyx_id}")
    comment = page.locator(f"#inbox-comment-{rejection.telnyx_id}")
    expect(comment).to_have_attribute("data-unread", "true")
    expect(comment).to_contain_text("Some requirement values were declined")
    expect(comment.locator("[data-owner]")).to_have_text("alice")
    expect(comment.locator("[data-sla]")).to_have_text(re.compile(r"^\d+ min ago$"))
    screenshot(page, "morning-inbox")
    assert axe_violations(page) == []
    comment.locator("[data-mark-read]").click()
    expect(comment).to_have_attribute("data-unread", "false")

    # The link to correct: the declined name is marked, pre-filled; she corrects and submits.
    declined = page.locator("[data-inbox-item][data-kind=declined]")
    declined.get_by_role("link", name="Fix and resubmit").click()
    expect(page.get_by_role("heading", name=re.compile("Correct and resubmit"))).to_be_visible()
    expect(page.locator(".requirement.declined-field [data-declined]")).to_have_count(1)
    name = page.get_by_label("End user name")
    expect(name).to_have_value(DECLINED_NAME)
    screenshot(page, "morning-requirement-form")
    assert page.locator("[style]").count() == 0, "the screenshot left inline styles behind"
    name.fill("Acme Widgets GmbH")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(rf"/compliance/sub-orders/{sub_order.public_id}/"))
    expect(page.locator(".messages")).to_contain_text("A manager must approve it")
    vetting = page.locator(f"#numbers tr[data-number='{number.phone_number}']")
    expect(vetting).to_contain_text("Rejected, fix needed")

    # Maria, in her own browser, approves from her queue; the row leads to the decision page.
    maria_page = open_page()
    admin = maria_page.page
    sign_in(admin, maria, live_server.url)
    waiting = admin.locator("#queue-approval tr[data-row]", has_text=number.phone_number)
    expect(waiting).to_contain_text("Submitted by alice")
    screenshot(admin, "morning-maria-queue")
    waiting.get_by_role("link", name="Approve or reject").click()
    admin.get_by_role("link", name="Approve").click()
    admin.get_by_label("Reason").fill("The name now matches the contract")
    admin.get_by_role("button", name="Approve").click()
    expect(admin.locator(".messagelist")).to_contain_text("Submission approved")

    # The worker sends it; alice's open page follows by itself (no click, no reload).
    expect(vetting).to_contain_text("Under review", timeout=30_000)
    submission = Submission.objects.latest("created_at")
    assert submission.status == Submission.Status.SUBMITTED and submission.number == number

    # Number Ops approves after the vetting time; beat's active sync mirrors it.
    decided = time.monotonic()
    sandbox.advance(VETTING_SECONDS + 5)
    expect(vetting).to_contain_text("Approved", timeout=60_000)
    print(f"decision to alice's open page: {time.monotonic() - decided:.1f} s")
    screenshot(page, "morning-sub-order")

    # Notifications: the rejection to alice (the owner), in the bell's list and by e-mail.
    page.locator("#notification-bell").click()
    rejected = page.locator('tr[data-notification="rejected"]')
    expect(rejected).to_contain_text("Rejected, fix needed: DE local sub order of")
    expect(page.locator('tr[data-notification="order_completed"]')).to_contain_text(
        f"Order completed: order {order.reference}"
    )
    # The comment she marked read in the inbox is read in the list too.
    expect(page.locator('tr[data-notification="comment"] .badge')).to_have_text("Read")
    expect(page.locator('tr[data-notification="approval"]')).to_have_count(0)
    screenshot(page, "morning-notifications")
    assert axe_violations(page) == []
    # Maria got "waiting for your approval" in the portal (and by e-mail); alice did not.
    admin.goto("/notifications/")
    expect(admin.locator('tr[data-notification="approval"]')).to_contain_text(
        "Waiting for your approval"
    )
    wait_for_worker(
        lambda: (
            not Notification.objects.filter(mail=Notification.Mail.NOW, emailed_at=None).exists()
        ),
        "every e-mail due now to be sent",
    )
    to_alice = [m for m in mailbox.messages() if "To: alice@example.test" in m]
    to_maria = [m for m in mailbox.messages() if "To: maria@example.test" in m]
    assert any("Rejected, fix needed" in m for m in to_alice), to_alice
    assert not any("Waiting for your approval" in m for m in to_alice), to_alice
    assert to_maria and all("Waiting for your approval" in m for m in to_maria), to_maria
    assert "bob@example.test" not in mailbox.text()
    assert DECLINED_NAME not in mailbox.text()  # a personal value never goes by e-mail
    assert not Notification.objects.filter(recipient=bob).exists()
    assert not Notification.objects.filter(recipient=alice, event="approval").exists()
    assert alice_page.problems == [], "\n".join(alice_page.problems)
    assert maria_page.problems == [], "\n".join(maria_page.problems)
