"""A newcomer's journey: find an order by a number typed with spaces in the navigation box,
then filter the orders list and export it; the CSV keeps accents and holds the filtered rows."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from compliance.models import AuditEntry
from tests.browser.watch import sign_in
from tests.orders.factories import NumberOrderFactory, OrderedNumberFactory, SubNumberOrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_find_an_order_by_a_number_with_spaces_then_export_the_filtered_list(
    open_page, alice, live_server
):
    de_order = NumberOrderFactory(placed_by=alice, customer_reference="réf-Müller-Ærø-1")
    sub = SubNumberOrderFactory(country_code="DE", number_order=de_order)
    OrderedNumberFactory(sub_order=sub, phone_number="+49301234567", country_code="DE")
    us = SubNumberOrderFactory(country_code="US", number_order=NumberOrderFactory(placed_by=alice))
    OrderedNumberFactory(sub_order=us, phone_number="+13125550100")

    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)

    page.get_by_role("searchbox", name="Find a number, id or name").fill("+49 30 123 45 67")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(de_order.get_absolute_url()) + "$"))
    expect(page.get_by_text("+49301234567").first).to_be_visible()

    page.goto("/orders/")
    page.get_by_label("Country").select_option("DE")
    expect(page).to_have_url(re.compile(r"country_code=DE"))
    expect(page.locator("#orders-table tbody tr")).to_have_count(1)
    with page.expect_download() as info:
        page.get_by_role("link", name="Export these orders (CSV)").click()
    download = info.value
    assert re.fullmatch(r"orders-\d{8}-\d{4}\.csv", download.suggested_filename)
    data = download.path().read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [(r["Telnyx order id"], r["Our reference"]) for r in rows] == [
        (de_order.telnyx_id, "réf-Müller-Ærø-1")
    ]
    entry = AuditEntry.objects.get(action="export.orders")
    assert entry.details == {"filters": "country_code=DE&sort=-created"}
    assert watched.problems == []
