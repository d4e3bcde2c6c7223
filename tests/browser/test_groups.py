"""Alice builds a CH local requirement group from a compliance profile before any order exists;
Maria approves it in the portal (four eyes); a real Celery worker sends it to the sandbox and
submits it; the sandbox vets it; the sync (run by the worker, as beat does) reads it back, and
the group's page says "Approved" (issue 11). Then alice orders two CH numbers and one DE number,
choosing the group on the review page: the CH sub order completes on the group's values, the DE
one waits for its own. The list, the group page and the review page pass axe-core's WCAG 2 A/AA
rules, and no page logs a console error or breaks the CSP.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from compliance import catalogue
from compliance.documents.intake import ingest
from compliance.models import ComplianceProfile, RequirementGroupLink, SavedAddress
from orders.models import NumberOrder
from tests.browser.artifacts import screenshot
from tests.browser.ordering_ui import pick
from tests.browser.submissions import wait_for_worker
from tests.browser.watch import sign_in
from tests.compliance import samples
from tests.fixtures.browser import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.integration]

VETTING_SECONDS = 600


def wait_for(done: Callable[[], Any], what: str) -> Any:
    """Group decisions take a few worker round trips: a longer wait than a submission's."""
    return wait_for_worker(done, what, timeout=60.0)


def swiss_profile(alice: Any) -> ComplianceProfile:
    """A saved business identity with every value CH local numbers need."""
    ids = {r["field_type"]: r["requirement_id"] for r in catalogue.requirements_in("CH", "local")}
    profile = ComplianceProfile.objects.create(name="Acme AG", kind="business", created_by=alice)
    document = ingest(
        SimpleUploadedFile("passport.pdf", samples.pdf(), "application/pdf"),
        uploaded_by=alice,
        profile=profile,
    )
    address = SavedAddress.objects.create(
        label="Acme AG, Zurich",
        profile=profile,
        created_by=alice,
        fields={
            "first_name": "Heidi",
            "last_name": "Muster",
            "business_name": "Acme AG",
            "street_address": "Bahnhofstrasse 1",
            "locality": "Zurich",
            "postal_code": "8001",
            "country_code": "CH",
        },
    )
    profile.values = {
        ids["address"]: {"type": "address", "address": str(address.public_id)},
        ids["document"]: {"type": "document", "document": str(document.public_id)},
        ids["textual"]: {"type": "textual", "value": "Acme AG"},
    }
    profile.save()
    return profile


def test_alice_builds_a_ch_group_maria_approves_telnyx_approves_and_alice_orders_with_it(
    open_page, alice, maria, live_server, sandbox, sandbox_worker, settings
):
    settings.ORDERS_PROGRESS_POLL_SECONDS = 1
    from portal.celery import app

    sandbox.configure(vetting_seconds=VETTING_SECONDS)
    assert catalogue.refresh() > 0  # the beat task's job; the portal caches the catalogue
    swiss_profile(alice)

    alice_page = open_page()
    page = alice_page.page
    sign_in(page, alice, live_server.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    page.get_by_role("link", name="Build a requirement group").click()
    page.get_by_label("Country and number type").select_option(label="Switzerland (CH), local")
    page.get_by_label("Pre-fill from a compliance profile").select_option(label="Acme AG")
    page.get_by_role("button", name="Show the requirements").click()
    expect(page.locator(".notice")).to_contain_text("Pre-filled from profile Acme AG")
    expect(page.get_by_label("End user name")).to_have_value("Acme AG")
    page.get_by_role("button", name="Save and ask for approval").click()
    expect(page.locator(".messages")).to_contain_text("A manager must approve the group")
    status = page.locator("[data-group-status]")
    expect(status).to_have_text("Awaiting a manager's approval")
    group = RequirementGroupLink.objects.get()
    assert group.profile is not None and group.telnyx_id is None
    assert sandbox.requests(path="/v2/requirement_groups", method="POST") == []

    # Maria, a manager, approves it from the list of groups.
    maria_page = open_page()
    manager = maria_page.page
    sign_in(manager, maria, live_server.url)
    manager.goto(f"{live_server.url}/compliance/groups/?status=awaiting_approval")
    manager.get_by_role("link", name="CH local").click()
    manager.get_by_role("button", name="Approve and send to Telnyx").click()
    expect(manager.locator(".messages")).to_contain_text("Approved.")

    # The worker creates the address, uploads the document, creates and submits the group.
    wait_for(
        lambda: RequirementGroupLink.objects.filter(
            pk=group.pk, status="pending-approval", pending_job=""
        ).exists(),
        "the group to be created and submitted at Telnyx",
    )
    page.reload()
    expect(status).to_have_text("Under review at Telnyx")

    # Telnyx vets it; the sync (beat's task, on the real worker) reads it back.
    sandbox.advance(VETTING_SECONDS + 5)
    app.send_task("compliance.tasks.sync_requirement_groups")
    wait_for(
        lambda: RequirementGroupLink.objects.filter(pk=group.pk, status="approved").exists(),
        "the sync to read the approval",
    )
    page.reload()
    expect(status).to_have_text("Approved")
    expect(page.locator("dl.group-facts")).to_contain_text("Sent for approval by")
    screenshot(page, "requirement-group-approved")
    assert axe_violations(page) == []

    page.get_by_role("link", name="All requirement groups").click()
    row = page.locator(f"tr[data-group='{group.public_id}']")
    expect(row.locator("[data-words]")).to_have_text("Approved")
    assert axe_violations(page) == []

    # Alice orders two CH numbers and one DE number, choosing the group on the review page.
    ch = pick(page, "CH", "local", 2)
    [de] = pick(page, "DE", "local", 1)
    page.get_by_role("link", name="Review and place").click()
    expect(page.locator("#group-CH-local .group-need")).to_contain_text("Choose one below")
    expect(page.locator("#held-back")).to_have_count(0)
    page.get_by_label("Requirement group for the CH local numbers").select_option(
        str(group.public_id)
    )
    screenshot(page, "group-ordering-review-group-chosen")
    assert axe_violations(page, "main") == []
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}/$"))
    sub_orders = page.locator("article.sub-order")
    expect(sub_orders).to_have_count(2, timeout=30_000)
    order = NumberOrder.objects.get(placed_by=alice)
    group.refresh_from_db()
    sent = {n["phone_number"]: n.get("requirement_group_id") for n in order.requested_numbers}
    assert sent == {ch[0]: group.telnyx_id, ch[1]: group.telnyx_id, de: None}

    # The CH sub order completes on the group's values (vetted like any submission); the DE
    # one waits for its own values.
    sandbox.advance(VETTING_SECONDS + 5)
    page.get_by_role("button", name="Refresh now").click()
    expect(sub_orders.filter(has_text="CH · local").locator("h2 .badge")).to_have_text("Success")
    de_sub = sub_orders.filter(has_text="DE · local")
    expect(de_sub.locator("h2 .badge")).to_have_text("Pending")
    expect(de_sub.get_by_role("link", name="Requirements, documents and comments")).to_be_visible()
    screenshot(page, "group-ordering-ch-done-de-pending")
    assert set(
        order.sub_orders.get(country_code="DE").numbers.values_list(
            "requirements_status", flat=True
        )
    ) == {"requirement-info-pending"}
    assert alice_page.problems == []
    assert maria_page.problems == []
