"""Ordering steps of the browser journeys: pick numbers from a search into the selection."""

from __future__ import annotations

from playwright.sync_api import expect


def pick(page, country: str, kind: str, count: int) -> list[str]:
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
