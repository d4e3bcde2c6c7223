"""A real browser fills the requirement form: inline HTMX validation, upload with preview,
draft, and no personal value left in htmx's history cache (P42), all under the CSP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance.forms import prefix_for
from tests.compliance import samples
from tests.compliance.helpers import requirement_ids
from tests.fixtures.browser import console_messages, csp_violations
from tests.fixtures.people import signed_in_client

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_p42_alice_fills_the_form_in_a_browser_and_nothing_personal_is_cached(
    page, live_server, sandbox, de_sub_order, alice, tmp_path
):
    client = signed_in_client(alice)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    ids = requirement_ids(de_sub_order)
    name_field = prefix_for(ids["textual"])
    doc_field = prefix_for(ids["document"])
    page.goto(reverse("compliance:requirement-form", args=[de_sub_order.public_id]))

    field = page.locator(f'input[name="{name_field}"]')
    field.fill("A")
    field.dispatch_event("change")
    section = page.locator(f"#section-{name_field}")
    section.get_by_text("Use at least 2 characters").wait_for()

    page.locator(f'input[name="{name_field}"]').fill("CANARYNAME Widgets GmbH")
    page.locator(f'input[name="{name_field}"]').dispatch_event("change")
    page.locator(f"#section-{name_field} [data-field-error]").wait_for(state="detached")

    scan = tmp_path / "utility-bill.png"
    scan.write_bytes(samples.png())
    page.locator(f'input[name="file_{doc_field}"]').set_input_files(str(scan))
    page.locator(f"#upload-result-{doc_field} img").wait_for()

    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved").wait_for()
    assert page.locator(f'input[name="{name_field}"]').input_value() == "CANARYNAME Widgets GmbH"

    page.evaluate("htmx.ajax('GET', '/', {target: '#main', select: '#main', swap: 'outerHTML'})")
    page.wait_for_load_state("networkidle")
    cached = page.evaluate("window.sessionStorage.getItem('htmx-history-cache') || ''")
    assert "CANARYNAME" not in cached
    assert csp_violations(page) == [], console_messages(page)
    errors = [m for m in console_messages(page) if m.startswith(("error", "pageerror"))]
    assert errors == []


def test_a_correction_typed_the_moment_the_error_appears_is_still_validated(
    page, live_server, sandbox, de_sub_order, alice
):
    """A swapped-in field listens at once: a change made in the very next task after htmx
    swaps the error in is validated too (htmx's default 20 ms settle delay used to drop it)."""
    client = signed_in_client(alice)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    name_field = prefix_for(requirement_ids(de_sub_order)["textual"])
    page.goto(reverse("compliance:requirement-form", args=[de_sub_order.public_id]))
    page.evaluate(
        """(name) => {
          document.body.addEventListener('htmx:afterSwap', (event) => {
            if (event.target.id !== 'section-' + name) return;
            setTimeout(() => {
              const input = document.querySelector('input[name="' + name + '"]');
              if (input.value !== 'A') return;
              if (event.target.querySelector('[data-field-error]')) {
                document.body.dataset.errorShown = 'yes';
              }
              input.value = 'Acme Widgets GmbH';
              input.dispatchEvent(new Event('change', {bubbles: true}));
            }, 0);
          });
        }""",
        name_field,
    )
    field = page.locator(f'input[name="{name_field}"]')
    field.fill("A")
    field.dispatch_event("change")
    page.locator("body[data-error-shown]").wait_for(state="attached")
    page.locator(f"#section-{name_field} [data-field-error]").wait_for(state="detached")
    assert page.locator(f'input[name="{name_field}"]').input_value() == "Acme Widgets GmbH"
