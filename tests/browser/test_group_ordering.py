"""Ordering in countries where Telnyx wants requirement groups (issue 11), through the real UI.

An order with a CH number and no usable group: the review page flags it, places the others and
keeps the CH number selected with the reason. (Ordering with an approved group chosen on the
review page ends the group journey in tests/browser/test_groups.py.)

A real Celery worker places the orders; screenshots go to tests/artifacts/; the review page is
checked with axe-core.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from orders.models import NumberOrder
from tests.browser.artifacts import screenshot
from tests.browser.ordering_ui import pick
from tests.browser.watch import sign_in
from tests.fixtures.browser import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_a_ch_number_without_a_usable_group_is_flagged_the_others_placed_and_it_stays(
    open_page, alice, live_server, sandbox, sandbox_worker, settings
):
    settings.ORDERS_PROGRESS_POLL_SECONDS = 1
    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)
    [ch] = pick(page, "CH", "local", 1)
    de = pick(page, "DE", "local", 2)

    page.get_by_role("link", name="Review and place").click()
    held = page.locator("#held-back")
    expect(held).to_contain_text("1 number will not be placed now")
    expect(held).to_contain_text("CH local numbers need an approved requirement group")
    expect(held.get_by_role("link", name="Build a requirement group")).to_be_visible()
    expect(page.locator("#group-CH-local")).to_contain_text("No approved group fits")
    expect(page.locator("#group-DE-local .group-need")).to_have_count(0)
    screenshot(page, "group-ordering-review-flagged")
    assert axe_violations(page, "main") == []

    page.get_by_role("button", name="Place the others now (2 numbers)").click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("status").filter(has_text="stay in your selection")).to_contain_text(
        "1 number(s) stay in your selection: CH local numbers need an approved requirement group"
    )
    sub_order = page.locator("article.sub-order")
    expect(sub_order).to_have_count(1, timeout=30_000)
    expect(sub_order.locator("h2")).to_contain_text("DE · local")
    for number in de:
        expect(sub_order.locator("table.numbers")).to_contain_text(number)
    order = NumberOrder.objects.get(placed_by=alice)
    assert {n["phone_number"] for n in order.requested_numbers} == set(de)

    # The CH number is still selected, with the reason, for when a group is approved.
    page.get_by_role("link", name="Search numbers").click()
    expect(page.locator("#selection-count")).to_have_text("1")
    expect(page.locator("#selection .selection-list")).to_contain_text(ch)
    page.get_by_role("link", name="Review and place").click()
    expect(page.locator("#group-CH-local")).to_contain_text(ch)
    expect(page.locator("#held-back")).to_contain_text(
        "CH local numbers need an approved requirement group"
    )
    screenshot(page, "group-ordering-ch-kept")
    assert watched.problems == []
