"""A member of Compliance staff orders two US local numbers through the real UI.

Search, pick two into the selection, review, place, watch the placing progress, then the order
page with its sub order, which completes by itself once the sandbox has provisioned the
numbers (the sandbox clock is moved, then the page's Refresh now asks Telnyx). A real Celery
worker places the order; no page may log a console error or break the CSP.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from orders.models import NumberOrder
from tests.browser.sandbox_orders import place_at_sandbox
from tests.browser.watch import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_alice_searches_picks_two_us_local_numbers_places_the_order_and_sees_it_complete(
    open_page, alice, live_server, sandbox, sandbox_worker, settings
):
    settings.ORDERS_PROGRESS_POLL_SECONDS = 1
    # Telnyx takes a moment to answer the create, so the placing state is on screen when the
    # order page first loads (and the page has to notice by itself when it is done).
    sandbox.script(method="POST", path="/v2/number_orders", action="delay_after_commit", seconds=2)
    alice_page = open_page()
    page = alice_page.page
    sign_in(page, alice, live_server.url)

    page.get_by_role("link", name="Search numbers").click()
    page.get_by_label("Country").fill("US")
    page.get_by_label("Type").select_option("local")
    page.get_by_label("Limit").fill("5")
    page.get_by_role("button", name="Search", exact=True).click()
    picks = page.locator("#results input[name=phone_number]")
    expect(picks).to_have_count(5)
    assert "?country_code=US" in page.url  # the search is in the address bar (hx-push-url)
    chosen = [picks.nth(i).get_attribute("value") for i in range(2)]
    picks.nth(0).check()
    picks.nth(1).check()
    page.get_by_role("button", name="Add picked numbers to the selection").click()
    expect(page.locator("#selection-count")).to_have_text("2")
    selection = page.locator("#selection .selection-list")
    for number in chosen:
        expect(selection).to_contain_text(number)

    page.get_by_role("link", name="Review and place").click()
    expect(page.get_by_role("heading", name="Review and place")).to_be_visible()
    # Back to the search (a URL htmx pushed) and forward again: the selection survives.
    page.go_back()
    expect(page.locator("#selection-count")).to_have_text("2")
    expect(page.get_by_label("Country")).to_have_value("US")
    page.get_by_role("link", name="Review and place").click()
    expect(page.locator(".summary")).to_contain_text("2 numbers in 1 sub order")
    # Hold the numbers while preparing the order (htmx swaps the reservation box).
    page.get_by_role("button", name="Reserve for 30 minutes").click()
    reservation = page.locator("#reservation")
    expect(reservation).to_contain_text("Held until")
    page.get_by_role("button", name="Extend by 30 minutes").click()
    expect(reservation).to_contain_text("Held until")
    assert len(sandbox.requests(path="/v2/number_reservations", method="POST")) == 1
    expect(page.locator("section.group h2")).to_contain_text("US · local")

    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}/$"))
    progress = page.locator("#progress")
    expect(progress).to_contain_text("Placing the order at Telnyx")

    # The poll notices the end of placing and reloads the page once: the sub order appears.
    sub_order = page.locator("article.sub-order")
    expect(progress).to_have_count(0, timeout=30_000)
    expect(sub_order).to_have_count(1)
    expect(sub_order.locator("h2")).to_contain_text("US · local")
    for number in chosen:
        expect(sub_order.locator("table.numbers")).to_contain_text(number)

    order = NumberOrder.objects.get(placed_by=alice)
    assert order.telnyx_id and order.sub_orders.count() == 1
    assert page.url.endswith(f"/orders/{order.public_id}/")

    # US local numbers need no documents: Telnyx provisions them by itself after a moment.
    sandbox.advance(5)
    page.get_by_role("button", name="Refresh now").click()
    expect(sub_order.locator("h2 .badge")).to_have_attribute("data-status", "success")
    expect(sub_order.locator("h2 .badge")).to_have_text("Success")
    number_badges = sub_order.locator("table.numbers td:nth-child(3) .badge")
    expect(number_badges).to_have_count(2)
    for i in range(2):
        expect(number_badges.nth(i)).to_have_text("Success")
    expect(page.locator("#sub-orders .messages")).to_contain_text("Refreshed from Telnyx")

    page.reload()
    expect(page.locator("dl.facts dd").first.locator(".badge")).to_have_text("Success")
    assert alice_page.problems == []
    # The htmx writes above carried the CSRF token (checked per request by the watcher, P36).
    assert any("/orders/selection/add/" in w for w in alice_page.htmx_writes)
    assert any(w.endswith("/refresh/") for w in alice_page.htmx_writes)


def test_maria_cancels_a_pending_sub_order_with_a_reason(
    open_page, alice, maria, live_server, sandbox
):
    order = place_at_sandbox(sandbox, alice, "DE", "local")
    watched = open_page()
    page = watched.page
    sign_in(page, maria, live_server.url)
    page.get_by_role("link", name="Orders", exact=True).click()
    page.get_by_role("link", name=order.reference, exact=True).click()
    page.get_by_role("link", name="Cancel this sub order").click()
    expect(page.get_by_role("heading", name="Cancel the DE local sub order?")).to_be_visible()
    page.get_by_label("Reason").fill("Customer withdrew the request")
    page.get_by_label("Yes, cancel this sub order at Telnyx").check()
    page.get_by_role("button", name="Cancel sub order").click()
    page.wait_for_url(re.compile(rf"/orders/{order.public_id}/$"))
    sub_order = page.locator("article.sub-order")
    expect(sub_order.locator("h2 .badge")).to_have_text("Cancelled")
    expect(sub_order).to_contain_text("Cancelled by maria")
    expect(sub_order).to_contain_text("Customer withdrew the request")
    assert watched.problems == []


def test_an_invalid_filter_combination_is_explained_next_to_the_field(
    open_page, alice, live_server, sandbox
):
    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)
    page.get_by_role("link", name="Search numbers").click()
    page.get_by_label("Country").fill("DE")
    page.get_by_label("State / province").fill("NY")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#results .form-errors")).to_contain_text("Please correct the filters")
    state_field = page.locator(".search-form .field").filter(has=page.get_by_label("State"))
    assert "has-error" in (state_field.get_attribute("class") or "")
    assert "works for US and CA only" in state_field.inner_text()
    assert sandbox.requests(path="/v2/available_phone_numbers") == []  # nothing was sent
    assert watched.problems == []
