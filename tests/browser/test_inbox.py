"""The inbox in a browser: a rejection comment from the sandbox, a templated reply, mark read.

A real Celery worker sends Alice's values (with a ``REJECT`` name) to the sandbox, whose Number
Ops declines them and writes an admin comment. Alice opens the inbox: the comment is there,
unread, first; the nav badge counts it. She answers from a reply template (a question about the
"End user name" requirement, chosen by name), her reply reads "alice (via portal)", and she
marks the comment read from the inbox: the row and the badge change in place, and the sandbox
has the comment read. The inbox passes axe-core's WCAG A/AA rules; a screenshot is kept under
tests/artifacts/ (git-ignored). No page logs a console error or breaks the CSP.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.artifacts import screenshot
from tests.browser.sandbox_orders import place_at_sandbox
from tests.browser.submissions import declined_by_sandbox
from tests.browser.watch import sign_in
from tests.fixtures.browser import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.integration]

VETTING_SECONDS = 600


def read_at_telnyx(sandbox, sub_order, comment_id: str) -> str | None:
    params = {
        "filter[comment_record_type]": "sub_number_order",
        "filter[comment_record_id]": sub_order.telnyx_id,
    }
    data = sandbox.http.get("/comments", params=params).json()["data"]
    return next(c.get("read_at") for c in data if c["id"] == comment_id)


def test_alice_reads_a_rejection_in_the_inbox_answers_from_a_template_and_marks_it_read(
    open_page, alice, live_server, sandbox, sandbox_worker
):
    sandbox.configure(vetting_seconds=VETTING_SECONDS)
    order = place_at_sandbox(sandbox, alice, "DE", "local")
    # Values in, through the portal's own views; the worker sends them; Number Ops declines.
    sub_order = declined_by_sandbox(sandbox, order, alice, VETTING_SECONDS)
    number = sub_order.numbers.get()
    rejection = sub_order.comments.get(commenter_type="admin")
    assert (
        rejection.read_at is None
        and read_at_telnyx(sandbox, sub_order, rejection.telnyx_id) is None
    )

    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)
    page.get_by_role("link", name=re.compile(r"^Inbox")).click()
    expect(page.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()
    badge = page.locator("#inbox-badge")
    expect(badge).to_have_attribute("data-inbox-count", "2")  # the comment, the declined number
    first = page.locator("[data-inbox-item]").first
    expect(first).to_have_attribute("data-kind", "comment")
    expect(first).to_have_attribute("data-unread", "true")
    expect(first).to_contain_text("Some requirement values were declined")
    expect(first).to_contain_text(order.reference)
    expect(first).to_contain_text(number.phone_number)
    declined = page.locator("[data-inbox-item][data-kind=declined]")
    expect(declined).to_contain_text("Declined: End user name")
    assert axe_violations(page) == []
    screenshot(page, "inbox")

    # The thread, a template: a question about a requirement picked by its name.
    first.get_by_role("link", name="Open the thread and reply").click()
    thread = page.locator("#comment-thread")
    thread.get_by_label("Template").select_option(label="Question about a requirement")
    thread.get_by_label("Requirement (for a question)").select_option(label="End user name")
    reply = thread.get_by_label("Reply")
    expect(reply).to_have_value(re.compile(r'^Question about the requirement "End user name"'))
    reply.fill(reply.input_value().replace("[your question]", "may it be a trading name?"))
    thread.get_by_role("button", name="Send reply").click()
    ours = thread.locator("[data-commenter-type=user]")
    expect(ours).to_contain_text("may it be a trading name?")
    expect(ours.locator("[data-writer]")).to_have_text("alice (via portal)")

    # Back in the inbox: answered by alice; reading changed nothing; she marks it read.
    page.get_by_role("link", name=re.compile(r"^Inbox")).click()
    item = page.locator(f"#inbox-comment-{rejection.telnyx_id}")
    expect(item.locator("[data-reply]")).to_contain_text("alice (via portal)")
    assert read_at_telnyx(sandbox, sub_order, rejection.telnyx_id) is None
    item.locator("[data-mark-read]").click()
    expect(item).to_have_attribute("data-unread", "false")
    expect(badge).to_have_attribute("data-inbox-count", "1")
    assert read_at_telnyx(sandbox, sub_order, rejection.telnyx_id)
    rejection.refresh_from_db()
    assert rejection.read_at is not None
    assert watched.problems == []
