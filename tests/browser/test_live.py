"""Live pages: a vetting decision made in the sandbox reaches open pages with no click.

A real Celery worker and a real beat (the database scheduler, with the active-sync entry the
migration creates) run against the sandbox. Alice keeps the sub order page and the work queue
open; the sandbox declines the number; within 60 s both pages show the rejection by
themselves. Polling pauses while the tab is hidden and catches up as soon as it is visible.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from orders.models import OrderedNumber, SubNumberOrder
from orders.sync import refresh_order
from tests.browser.sandbox_orders import place_at_sandbox
from tests.browser.watch import complete_sign_in, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# What the browser does when the user switches tabs (or comes back).
SET_VISIBILITY = """(state) => {
    const opts = (value) => ({configurable: true, get: () => value});
    Object.defineProperty(document, 'visibilityState', opts(state));
    Object.defineProperty(document, 'hidden', opts(state === 'hidden'));
    document.dispatchEvent(new Event('visibilitychange'));
}"""
UNDER_REVIEW = "requirement-info-under-review"
EXCEPTION = "requirement-info-exception"


def test_p25_a_vetting_decision_reaches_the_open_pages_within_60_s_without_a_click(
    sandbox, alice, beat, open_page, live_server
):
    order = place_at_sandbox(sandbox, alice, "DE", "local")
    number = OrderedNumber.objects.get(number_order=order)
    sub = SubNumberOrder.objects.get(pk=number.sub_order_id)
    # The values are in and Telnyx is reviewing them.
    sandbox.force_number(number.telnyx_id, requirements_status=UNDER_REVIEW)
    refresh_order(order)
    number.refresh_from_db()
    assert number.requirements_status == UNDER_REVIEW

    sub_page = open_page()
    sign_in(sub_page.page, alice, live_server.url)
    sub_page.page.goto(f"/compliance/sub-orders/{sub.public_id}/")
    vetting = sub_page.page.locator(f'tr[data-number="{number.phone_number}"]')
    expect(vetting).to_contain_text("Under review")

    queue_page = open_page()
    queue_page.page.goto("/accounts/login/")
    complete_sign_in(queue_page.page, alice, code_offset=1)  # a code is accepted only once
    queue_page.page.wait_for_url(f"{live_server.url}/")
    rejected = queue_page.page.locator("#queue-rejected")
    expect(rejected).to_have_attribute("data-count", "0")
    expect(queue_page.page.locator("#queue-at-telnyx")).to_contain_text(number.phone_number)

    # Telnyx Number Ops declines; nobody clicks anything.
    decided = time.monotonic()
    sandbox.force_number(number.telnyx_id, requirements_status=EXCEPTION)
    expect(vetting).to_contain_text("Rejected, fix needed", timeout=60_000)
    expect(queue_page.page.locator("#queue-rejected")).to_have_attribute(
        "data-count", "1", timeout=max(1_000, int((60 - (time.monotonic() - decided)) * 1000))
    )
    expect(queue_page.page.locator("#queue-rejected")).to_contain_text(number.phone_number)
    elapsed = time.monotonic() - decided
    print(f"decision to both pages: {elapsed:.1f} s")
    assert elapsed < 60
    assert sub_page.problems == [] and queue_page.problems == []


def test_polling_pauses_while_the_tab_is_hidden_and_catches_up_when_visible(
    settings, alice, open_page, live_server
):
    settings.PORTAL_LIVE_POLL_SECONDS = 1
    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "part=queue" in r.url else None)
    deadline = time.monotonic() + 10
    while len(polls) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert len(polls) >= 2, "the work queue does not poll"
    page.evaluate(SET_VISIBILITY, "hidden")
    page.wait_for_timeout(1500)  # let a request already in flight finish
    hidden_from = len(polls)
    # Nothing to wait for but time: three poll periods pass while hidden.
    page.wait_for_timeout(3500)
    assert len(polls) == hidden_from, "a hidden tab kept polling"
    page.evaluate(SET_VISIBILITY, "visible")
    deadline = time.monotonic() + 5
    while len(polls) == hidden_from and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert len(polls) > hidden_from, "polling did not resume when the tab became visible"
    assert watched.problems == []
