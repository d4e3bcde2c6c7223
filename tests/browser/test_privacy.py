"""P42: personal data stays out of the browser's storage and caches.

The portal does not boost links today, so no htmx navigation can snapshot a page into
``sessionStorage['htmx-history-cache']``; a template that adds ``hx-boost`` later would. These
tests turn hx-boost on in the browser (as such a change would) and walk through the PII pages
of a DE local sub order whose saved draft and uploaded document carry canary values. Two
defences must each hold: the htmx config keeps no history snapshots at all, and the PII pages
carry ``hx-history="false"`` so even a non-zero cache size never stores them (checked with the
cache size raised, and with a non-PII page as the control that does get cached).
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.sandbox_orders import place_at_sandbox
from tests.browser.watch import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CANARY_NAME = "Jane Canary-P4SSP0RT-C01X00T78"
CANARY_FIRST_NAME = "Canaryfirst"
CANARY_FILENAME = "passport-C01X00T78.png"
CANARIES = (CANARY_NAME, "C01X00T78", CANARY_FIRST_NAME)

BOOST = "document.body.setAttribute('hx-boost', 'true'); htmx.process(document.body);"
STORAGE_DUMP = """() => {
  const dump = {};
  for (const store of [sessionStorage, localStorage]) {
    for (let i = 0; i < store.length; i++) { dump[store.key(i)] = store.getItem(store.key(i)); }
  }
  return JSON.stringify(dump);
}"""


def small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 220)).save(out, format="PNG")
    return out.getvalue()


def assert_private(response) -> None:
    headers = response.headers
    assert "no-store" in headers.get("cache-control", ""), (response.url, headers)
    assert "hx-request" in headers.get("vary", "").lower(), (response.url, headers)


@pytest.fixture
def de_sub_order(sandbox, alice, vault_root):
    return place_at_sandbox(sandbox, alice, "DE", "local").sub_orders.get()


def save_draft_with_canaries(page) -> None:
    """Alice types personal data into the requirement form and keeps it as a draft."""
    page.get_by_label("End user name").fill(CANARY_NAME)
    page.get_by_label("First name").fill(CANARY_FIRST_NAME)
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("Draft saved")
    expect(page.get_by_label("End user name")).to_have_value(CANARY_NAME)
    # The restored draft is in the HTML itself, where a history snapshot would copy it from.
    assert CANARY_NAME in page.content()


def walk_pii_pages_through_htmx(page: Any, sub_order_url: str, cache_size: int | None) -> None:
    """With hx-boost on: the form, a document upload, the sub order page, then away from PII."""
    page.goto(sub_order_url)
    page.evaluate(BOOST)
    if cache_size is not None:
        page.evaluate(f"htmx.config.historyCacheSize = {cache_size}")
    with page.expect_response(re.compile(r"/requirements$")) as form_response:
        page.get_by_role("link", name="Fill requirements").click()
    assert form_response.value.request.headers.get("hx-boosted") == "true"
    assert_private(form_response.value)
    expect(page.get_by_label("End user name")).to_have_value(CANARY_NAME)

    # A document shown on the page: the upload answer and its preview are private too.
    with (
        page.expect_response(re.compile(r"/documents/upload$")) as upload,
        page.expect_response(re.compile(r"/documents/[0-9a-f-]+/preview$")) as preview,
    ):
        page.locator("input[type=file]").set_input_files(
            {"name": CANARY_FILENAME, "mimeType": "image/png", "buffer": small_png()}
        )
    assert_private(upload.value)
    assert "no-store" in preview.value.headers.get("cache-control", "")
    expect(page.locator("figure.document-preview")).to_contain_text(CANARY_FILENAME)

    with page.expect_response(re.compile(r"/compliance/sub-orders/[0-9a-f-]+/$")) as sub_page:
        page.get_by_role("link", name="Back to the sub order").click()
    assert sub_page.value.request.headers.get("hx-boosted") == "true"
    assert_private(sub_page.value)
    expect(page.get_by_role("heading", name=re.compile("Compliance: DE local"))).to_be_visible()

    # Move on to pages without personal data (still boosted, so each leaves a snapshot chance).
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="Welcome, alice")).to_be_visible()
    page.get_by_role("link", name="alice").click()
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    assert page.evaluate("document.body.getAttribute('hx-boost')") == "true"


def history_cache(page: Any) -> list[dict[str, Any]]:
    """The htmx history snapshots, after checking no canary is anywhere in web storage."""
    storage = page.evaluate(STORAGE_DUMP)
    for canary in CANARIES:
        assert canary not in storage, f"{canary!r} found in browser storage: {storage[:500]}"
    return json.loads(page.evaluate("sessionStorage.getItem('htmx-history-cache')") or "[]")


def test_p42_pii_pages_visited_through_htmx_never_reach_the_history_cache(
    open_page, alice, live_server, de_sub_order
):
    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)
    page.get_by_role("link", name="Deadlines").click()
    page.get_by_role("link", name="DE local").click()
    sub_order_url = page.url
    page.get_by_role("link", name="Fill requirements").click()
    save_draft_with_canaries(page)

    # The portal as configured: historyCacheSize 0, so no page is ever snapshotted.
    walk_pii_pages_through_htmx(page, sub_order_url, cache_size=None)
    assert history_cache(page) == []

    # hx-history="false" alone: with a cache allowed, the PII pages still stay out of it, while
    # the page without PII that a boosted click left (home) is cached: the control.
    walk_pii_pages_through_htmx(page, sub_order_url, cache_size=10)
    assert [item["url"] for item in history_cache(page)] == ["/"]
    assert watched.problems == []


def test_p42_logout_clears_site_data_and_back_does_not_bring_the_pii_page_back(
    open_page, alice, live_server, de_sub_order
):
    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)
    page.get_by_role("link", name="Deadlines").click()
    page.get_by_role("link", name="DE local").click()
    page.get_by_role("link", name="Fill requirements").click()
    save_draft_with_canaries(page)
    page.evaluate("sessionStorage.setItem('probe', 'left'); localStorage.setItem('probe', 'left')")

    with page.expect_response(
        lambda r: r.url.endswith("/accounts/logout/") and r.request.method == "POST"
    ) as logout:
        page.get_by_role("button", name="Log out").click()
    clear = logout.value.header_value("clear-site-data") or ""
    assert '"cache"' in clear and '"storage"' in clear, clear
    page.wait_for_url("**/accounts/login/**")
    assert page.evaluate("sessionStorage.getItem('probe')") is None
    assert page.evaluate("localStorage.getItem('probe')") is None

    # The Back button after logging out must not show the form from any cache.
    page.go_back()
    page.wait_for_load_state()
    # The browser asked the server again, which sent it to the login form.
    assert re.search(r"/accounts/login/\?next=.*requirements", page.url), page.url
    for canary in CANARIES:
        assert canary not in page.content()
    assert watched.problems == []
