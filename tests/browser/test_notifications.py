"""Notifications in a browser: a rejection decided in the sandbox reaches the sub order's
assignee, alice, in the bell (by itself, through the live polling) and by e-mail (sent by a
real worker), and reaches bob, who placed the order but does not own it, not at all.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from orders.models import OrderedNumber, SubNumberOrder
from orders.sync import refresh_order
from portal.roles import STAFF
from tests.browser.sandbox_orders import place_at_sandbox
from tests.browser.watch import sign_in
from tests.fixtures.people import make_person

pytestmark = [pytest.mark.browser, pytest.mark.integration]

EXCEPTION = "requirement-info-exception"


def test_a_rejection_reaches_the_assignee_in_the_bell_and_by_mail_and_not_bob(
    sandbox, alice, celery_worker_factory, open_page, live_server, settings, mailbox
):
    settings.PORTAL_LIVE_POLL_SECONDS = 1
    celery_worker_factory(env={**mailbox.env, "COMPLIANCE_PORTAL_URL": live_server.url})
    bob = make_person("bob", STAFF)
    order = place_at_sandbox(sandbox, bob, "DE", "local")
    number = OrderedNumber.objects.get(number_order=order)
    SubNumberOrder.objects.filter(pk=number.sub_order_id).update(assignee=alice)
    sub = SubNumberOrder.objects.get(pk=number.sub_order_id)

    pages = {}
    for person in (alice, bob):
        watched = open_page()
        sign_in(watched.page, person, live_server.url)
        pages[person.get_username()] = watched
    bells = {name: w.page.locator("#notification-bell") for name, w in pages.items()}
    for bell in bells.values():
        expect(bell).to_have_attribute("aria-label", "Notifications, 0 unread")

    # Telnyx Number Ops declines the number; the sync mirrors it. Nobody clicks anything.
    sandbox.force_number(number.telnyx_id, requirements_status=EXCEPTION)
    refresh_order(order)
    expect(bells["alice"]).to_have_attribute(
        "aria-label", "Notifications, 1 unread", timeout=20_000
    )
    sent = mailbox.wait_for("To: alice@example.test")
    assert f"{live_server.url}/compliance/sub-orders/{sub.public_id}/" in sent
    assert "bob@example.test" not in sent
    # Bob's bell has polled several times since, and still says nothing.
    pages["bob"].page.wait_for_timeout(2_000)
    expect(bells["bob"]).to_have_attribute("aria-label", "Notifications, 0 unread")

    # Alice opens the list, follows nothing yet, and marks it read: the bell follows.
    page = pages["alice"].page
    bells["alice"].click()
    row = page.locator('tr[data-notification="rejected"]')
    expect(row).to_contain_text("Rejected, fix needed: DE local sub order of")
    expect(row).to_contain_text("Unread")
    row.get_by_role("button", name="Mark read").click()
    expect(page.locator("#notification-list")).to_contain_text("0 unread")
    expect(bells["alice"]).to_have_attribute("aria-label", "Notifications, 0 unread")
    row.get_by_role("link").click()
    page.wait_for_url(f"**/compliance/sub-orders/{sub.public_id}/")
    assert pages["alice"].problems == [] and pages["bob"].problems == []
