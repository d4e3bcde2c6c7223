"""Ordering in countries where Telnyx wants requirement groups (issue 11), through the real UI.

1. An order with a CH number and no usable group: the review page flags it, places the others
   and keeps the CH number selected with the reason.
2. With an approved CH local group: alice orders two CH numbers and one DE number choosing the
   group on the review page; the CH sub order completes without further requirement values and
   the DE one waits for its values as usual.

A real Celery worker places the orders; screenshots go to tests/artifacts/; the review page is
checked with axe-core.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from orders.models import NumberOrder
from tests.browser.artifacts import screenshot
from tests.browser.watch import sign_in
from tests.fixtures.browser import axe_violations
from tests.orders.groups import approved_group

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def _pick(page, country: str, kind: str, count: int) -> list[str]:
    page.get_by_role("link", name="Search numbers").click()
    page.get_by_label("Country").fill(country)
    page.get_by_label("Type").select_option(kind)
    page.get_by_label("Limit").fill("5")
    page.get_by_role("button", name="Search", exact=True).click()
    picks = page.locator("#results input[name=phone_number]")
    expect(picks.first).to_be_visible()
    chosen = [picks.nth(i).get_attribute("value") or "" for i in range(count)]
    for i in range(count):
        picks.nth(i).check()
    page.get_by_role("button", name="Add picked numbers to the selection").click()
    selection = page.locator("#selection .selection-list")
    for number in chosen:
        expect(selection).to_contain_text(number)
    return chosen


def test_a_ch_number_without_a_usable_group_is_flagged_the_others_placed_and_it_stays(
    open_page, alice, live_server, sandbox, sandbox_worker, settings
):
    settings.ORDERS_PROGRESS_POLL_SECONDS = 1
    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)
    [ch] = _pick(page, "CH", "local", 1)
    de = _pick(page, "DE", "local", 2)

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


def test_with_an_approved_ch_group_alice_orders_ch_and_de_numbers_choosing_it_on_review(
    open_page, alice, live_server, sandbox, sandbox_worker, settings
):
    settings.ORDERS_PROGRESS_POLL_SECONDS = 1
    link = approved_group(sandbox, alice, "CH", "local")
    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)
    ch = _pick(page, "CH", "local", 2)
    [de] = _pick(page, "DE", "local", 1)

    page.get_by_role("link", name="Review and place").click()
    expect(page.locator("#group-CH-local .group-need")).to_contain_text("Choose one below")
    expect(page.locator("#held-back")).to_have_count(0)
    choice = page.get_by_label("Requirement group for the CH local numbers")
    choice.select_option(str(link.public_id))
    screenshot(page, "group-ordering-review-group-chosen")
    assert axe_violations(page, "main") == []
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}/$"))
    sub_orders = page.locator("article.sub-order")
    expect(sub_orders).to_have_count(2, timeout=30_000)
    order = NumberOrder.objects.get(placed_by=alice)
    sent = {n["phone_number"]: n.get("requirement_group_id") for n in order.requested_numbers}
    assert sent == {ch[0]: link.telnyx_id, ch[1]: link.telnyx_id, de: None}

    # Telnyx vets the group's values on the CH numbers; nothing more is asked for them.
    sandbox.advance(5)
    page.get_by_role("button", name="Refresh now").click()
    ch_sub = sub_orders.filter(has_text="CH · local")
    de_sub = sub_orders.filter(has_text="DE · local")
    expect(ch_sub.locator("h2 .badge")).to_have_text("Success")
    # The DE sub order goes the normal way: it waits for its requirement values.
    expect(de_sub.locator("h2 .badge")).to_have_text("Pending")
    expect(de_sub.get_by_role("link", name="Requirements, documents and comments")).to_be_visible()
    screenshot(page, "group-ordering-ch-done-de-pending")
    de_page = order.sub_orders.get(country_code="DE")
    assert set(de_page.numbers.values_list("requirements_status", flat=True)) == {
        "requirement-info-pending"
    }
    assert watched.problems == []
