"""The picture and the sub orders report in a real browser, under the real CSP.

The dashboard's SVG charts render without a style attribute or script (no CSP violation); a
manager requests a report, the page's htmx poll swaps in the progress until the report is
ready and then stops, and the download link serves the CSV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from tests.browser.sandbox_orders import place_at_sandbox
from tests.browser.watch import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def report_worker(celery_worker_factory: Any, sandbox: Any, settings: Any, tmp_path: Path) -> Any:
    settings.ORDERS_REPORT_ROOT = tmp_path / "reports"
    settings.DASHBOARD_CACHE_SECONDS = 0
    return celery_worker_factory(
        env={
            "TELNYX_API_BASE": sandbox.base_url,
            "TELNYX_API_KEY": sandbox.api_key,
            "TELNYX_PUBLIC_KEY": sandbox.public_key,
            "ORDERS_REPORT_ROOT": str(tmp_path / "reports"),
            "DOCUMENT_ENCRYPTION_KEYS": ",".join(django_settings.DOCUMENT_ENCRYPTION_KEYS),
        }
    )


def test_the_picture_and_a_report_work_under_the_csp(
    open_page, maria, live_server, sandbox, report_worker
):
    place_at_sandbox(sandbox, maria, "DE", "local", 2)
    watched = open_page()
    page = watched.page
    sign_in(page, maria, live_server.url)

    page.get_by_role("link", name="Picture").click()
    expect(page.locator("h1")).to_have_text("The picture")
    expect(page.locator("svg.chart")).to_have_count(7)
    expect(page.locator("#chart-states rect").first).to_be_visible()
    expect(page.get_by_role("img", name="Numbers by vetting state per country")).to_be_visible()

    page.get_by_role("link", name="Reports").click()
    page.get_by_label("Country (2 letters)").fill("DE")
    page.get_by_role("button", name="Request report").click()
    expect(page.locator("#report-progress")).to_contain_text("Ready to download", timeout=45_000)
    expect(page.locator("#report-progress")).not_to_have_attribute("hx-trigger", "every 2s")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    csv = Path(download.value.path()).read_text()
    assert csv.startswith("id,order_request_id,") and ",DE," in csv
    assert watched.problems == []
