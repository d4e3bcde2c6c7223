"""A compliance officer fills a DE local sub order in the browser; a manager approves it.

Alice finds the sub order on the deadline board, gets inline validation while typing, fills the
address, the end user name and uploads a proof of address, and submits. The four-eyes policy
(on by default) holds it until Maria approves it in the admin; a real Celery worker then sends
it to the sandbox. Alice sees the numbers under review, and approved once the sandbox clock has
moved past the vetting time and the order is refreshed. A value Telnyx declines is shown with
the admin's comment and corrected from the pre-filled form. No page may log a console error or
break the CSP.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pikepdf
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from compliance.models import DocumentAccess, Submission, SubmissionPolicy
from orders.models import OrderedNumber
from orders.templatetags.orders_tags import deadline_countdown
from tests.browser.sandbox_orders import place_at_sandbox
from tests.browser.submissions import wait_until_sent
from tests.browser.watch import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]

VETTING_SECONDS = 600
ADDRESS = {
    "First name": "Jane",
    "Last name": "Doe",
    "Business name": "Acme Widgets GmbH",
    "Street and number": "Friedrichstrasse 68",
    "City": "Berlin",
    "Postal code": "10117",
    "Country (name or 2-letter code)": "DE",
}


def utility_bill_pdf() -> bytes:
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(200, 200))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def countdown_text(deadline: Any, now: Any) -> str:
    """What the board's countdown reads for ``deadline`` at ``now`` ("in 2 d 23 h")."""
    found = re.search(r">([^<]+)</time>", str(deadline_countdown(deadline, now)))
    assert found is not None
    return found[1]


def fill_requirements(page: Any, end_user_name: str) -> None:
    """Address, end user name and a proof of address, as a person fills them in."""
    for label, value in ADDRESS.items():
        page.get_by_label(f"{label}:", exact=True).fill(value)
    page.get_by_label("End user name").fill(end_user_name)
    page.locator("input[type=file]").set_input_files(
        {"name": "utility-bill.pdf", "mimeType": "application/pdf", "buffer": utility_bill_pdf()}
    )
    preview = page.locator("figure.document-preview")
    expect(preview).to_contain_text("utility-bill.pdf")
    expect(preview.locator("img")).to_have_js_property("complete", True)
    assert preview.locator("img").evaluate("img => img.naturalWidth") > 0  # the PDF's page 1


def refresh_order_page(page: Any, order: Any) -> None:
    """Telnyx sends no webhook for vetting: the order page's Refresh now asks it."""
    page.get_by_role("link", name="Orders", exact=True).click()
    page.get_by_role("link", name=order.reference, exact=True).click()
    page.get_by_role("button", name="Refresh now").click()
    expect(page.locator("#sub-orders .messages")).to_contain_text("Refreshed from Telnyx")


def vetting_badge(page: Any, number: OrderedNumber) -> Any:
    return (
        page.locator(f"#numbers tr[data-number='{number.phone_number}'] td")
        .nth(1)
        .locator(".badge")
    )


def test_alice_fills_a_de_local_sub_order_maria_approves_and_telnyx_approves_it(
    open_page, alice, maria, live_server, sandbox, sandbox_worker
):
    sandbox.configure(vetting_seconds=VETTING_SECONDS)
    order = place_at_sandbox(sandbox, alice, "DE", "local")
    number = order.sub_orders.get().numbers.get()

    alice_page = open_page()
    page = alice_page.page
    sign_in(page, alice, live_server.url)
    page.get_by_role("link", name="Deadlines").click()
    board_row = page.locator(f"tr[data-number='{number.phone_number}']")
    # 72 h from the sandbox's clock, which earlier tests in the session may have moved ahead of
    # the portal's: the board counts down to the number's own deadline from the portal's now.
    number.refresh_from_db()
    now = timezone.now()
    expected = {countdown_text(number.deadline, now + timedelta(minutes=m)) for m in (0, 2)}
    assert number.deadline >= now + timedelta(hours=71)
    expect(board_row).to_contain_text(re.compile("|".join(map(re.escape, sorted(expected)))))
    board_row.get_by_role("link", name="DE local").click()
    sub_order_url = page.url
    expect(vetting_badge(page, number)).to_have_text("Info needed")
    page.get_by_role("link", name="Fill requirements").click()

    # Inline validation (htmx) as soon as the field changes, before anything is sent.
    name = page.get_by_label("End user name")
    name.fill("A")
    name.press("Tab")
    error = page.locator("[data-field-error]")
    expect(error).to_contain_text("at least 2 characters")
    page.get_by_label("End user name").fill("Acme Widgets GmbH")
    page.get_by_label("End user name").press("Tab")
    expect(error).to_have_count(0)

    fill_requirements(page, "Acme Widgets GmbH")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(sub_order_url)
    expect(page.locator(".messages")).to_contain_text("A manager must approve it")
    submission_row = page.locator("#submissions tr[data-submission]")
    expect(submission_row).to_have_attribute("data-status", "awaiting_approval")
    expect(submission_row).to_contain_text("Awaiting manager approval")

    # Four eyes: Maria approves in the admin, with a reason.
    maria_page = open_page()
    admin = maria_page.page
    sign_in(admin, maria, live_server.url)
    admin.get_by_role("link", name="Admin").click()
    admin.get_by_role("link", name="Submissions").click()
    submission = Submission.objects.get()
    admin.get_by_role("link", name=str(submission.public_id)[:8]).click()
    admin.get_by_role("link", name="Approve").click()
    admin.get_by_label("Reason").fill("Address and bill match the contract")
    admin.get_by_role("button", name="Approve").click()
    expect(admin.locator(".messagelist")).to_contain_text("Submission approved")

    # The worker uploads the bill, creates the address and sends the values to Telnyx.
    wait_until_sent(number)
    page.reload()
    expect(submission_row).to_have_attribute("data-status", "submitted")
    expect(vetting_badge(page, number)).to_have_attribute(
        "data-status", "requirement-info-under-review"
    )
    expect(vetting_badge(page, number)).to_have_text("Under review")

    # Telnyx decides after the vetting time.
    sandbox.advance(VETTING_SECONDS + 5)
    refresh_order_page(page, order)
    numbers_table = page.locator("article.sub-order table.numbers")
    expect(numbers_table.locator("td:nth-child(4) .badge")).to_have_attribute(
        "data-status", "approved"
    )

    page.goto(sub_order_url)
    expect(vetting_badge(page, number)).to_have_text("Approved")
    requirements = page.locator("#numbers li[data-requirement]")
    expect(requirements).to_have_count(3)
    for requirement in requirements.all():
        expect(requirement).to_have_attribute("data-status", "approved")
    assert alice_page.problems == []
    assert any("/documents/upload" in w for w in alice_page.htmx_writes)
    assert maria_page.problems == []


def test_a_declined_name_is_shown_with_the_reason_corrected_and_approved(
    open_page, alice, live_server, sandbox, sandbox_worker
):
    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    sandbox.configure(vetting_seconds=VETTING_SECONDS)
    order = place_at_sandbox(sandbox, alice, "DE", "local")
    sub_order = order.sub_orders.get()
    number = sub_order.numbers.get()
    first_deadline = number.deadline
    sub_order_url = f"{live_server.url}/compliance/sub-orders/{sub_order.public_id}/"

    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)
    page.goto(sub_order_url)
    page.get_by_role("link", name="Fill requirements").click()
    fill_requirements(page, "REJECT Widgets GmbH")
    page.get_by_role("button", name="Submit").click()
    # The end user's name is not the address's: warned before sending, sent anyway.
    expect(page.locator("#preflight-warnings")).to_contain_text("is not the name on the address")
    page.get_by_role("button", name="Submit anyway").click()
    page.wait_for_url(sub_order_url)
    expect(page.locator(".messages")).to_contain_text("being sent to Telnyx")
    wait_until_sent(number)

    sandbox.advance(VETTING_SECONDS + 5)
    refresh_order_page(page, order)
    page.goto(sub_order_url)
    row = page.locator(f"#numbers tr[data-number='{number.phone_number}']")
    expect(row).to_have_class(re.compile(r"\bdeclined\b"))
    expect(vetting_badge(page, number)).to_have_text("Rejected, fix needed")
    expect(row.locator("li[data-status=declined]")).to_contain_text("End user name")
    expect(row.locator("[data-new-deadline]")).to_be_visible()
    number.refresh_from_db()
    assert number.deadline and number.deadline != first_deadline
    admin_comment = sub_order.comments.get(commenter_type="admin")
    reasons = page.locator("#rejection-reasons")
    expect(reasons).to_contain_text(admin_comment.body.splitlines()[0][:40])

    # The comment thread (loaded by htmx) shows the new admin comment as unread; Alice answers.
    thread = page.locator("#comment-thread")
    from_telnyx = thread.locator("[data-commenter-type=admin]")
    expect(from_telnyx).to_have_class(re.compile(r"\bunread\b"))
    thread.get_by_label("Reply").fill("Corrected: the end user is Acme Widgets GmbH.")
    thread.get_by_role("button", name="Send reply").click()
    expect(thread.locator("[data-commenter-type=user]")).to_contain_text("Corrected: the end")
    assert len(sandbox.requests(path="/v2/comments", method="POST")) == 1
    # Reading changed nothing; marking read is her explicit POST, sent to Telnyx first.
    assert not [r for r in sandbox.requests(method="PATCH") if r["path"].endswith("/read")]
    unread_badge = page.locator("[data-comments-unread]")
    expect(unread_badge).to_have_text("1 unread")
    thread.get_by_role("button", name=re.compile("Mark as read")).click()
    expect(from_telnyx).not_to_have_class(re.compile(r"\bunread\b"))
    expect(unread_badge).to_have_count(0)  # the heading's count drops in place, no reload
    expect(thread.get_by_role("button", name=re.compile("Mark as read"))).to_have_count(0)
    assert [r for r in sandbox.requests(method="PATCH") if r["path"].endswith("/read")]
    assert not sub_order.comments.filter(commenter_type="admin", read_at__isnull=True).exists()

    page.get_by_role("link", name="Correct and resubmit").click()
    expect(page.get_by_role("heading", name=re.compile("Correct and resubmit"))).to_be_visible()
    name_section = page.locator(".requirement.declined-field")
    expect(name_section).to_have_count(1)
    expect(name_section.locator("[data-declined]")).to_be_visible()
    expect(page.get_by_label("End user name")).to_have_value("REJECT Widgets GmbH")
    page.get_by_label("End user name").fill("Acme Widgets GmbH")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(sub_order_url)
    wait_until_sent(number)

    sandbox.advance(VETTING_SECONDS + 5)
    refresh_order_page(page, order)
    page.goto(sub_order_url)
    expect(vetting_badge(page, number)).to_have_text("Approved")
    expect(page.locator("#numbers li[data-status=declined]")).to_have_count(0)

    # The proof of address can be read back, as an attachment, and the read is recorded.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename == "utility-bill.pdf"
    assert DocumentAccess.objects.filter(user=alice, purpose="download").count() == 1
    assert watched.problems == []


def test_the_deadline_board_names_what_is_missing(open_page, alice, live_server, sandbox):
    """A new DE local order: the board says which requirements are missing, by name."""
    order = place_at_sandbox(sandbox, alice, "DE", "local")
    number = order.sub_orders.get().numbers.get()
    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)
    page.get_by_role("link", name="Deadlines").click()
    missing = page.locator(f"tr[data-number='{number.phone_number}'] td").nth(5).inner_text()
    for name in ("Address matching the DID area code", "Proof of Address", "End user name"):
        assert name in missing, missing
    assert watched.problems == []


def test_the_admin_pages_a_manager_uses_log_no_errors(open_page, maria, live_server):
    watched = open_page()
    page = watched.page
    sign_in(page, maria, live_server.url)
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    page.get_by_role("link", name="Submissions").click()
    expect(page.locator("#changelist")).to_be_visible()
    # The icon the browser will fetch for this page (its own link, else /favicon.ico) exists;
    # checked directly because when Chromium fetches it is not deterministic.
    icon = page.evaluate(
        "document.querySelector('link[rel~=icon]')?.getAttribute('href') || '/favicon.ico'"
    )
    assert page.request.get(icon).ok, f"{icon} does not load on {page.url}"
    assert watched.problems == []
