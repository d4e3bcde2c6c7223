"""Every screen a person reaches loads without a console error, script error or CSP violation.

The journeys cover the main flows; this walks the remaining screens once with an order in the
portal (so detail pages have content): what staff see from the navigation, and every admin
list a manager can open from the admin index. It also covers the page behaviour between
requests: the deadline board's own polling (the browser clock is moved, not waited for), and
an htmx action in a session that expired meanwhile.
"""

from __future__ import annotations

import re
import time
from importlib import import_module
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.sandbox_orders import place_at_sandbox
from tests.browser.watch import complete_sign_in, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_every_staff_screen_loads_clean(open_page, alice, live_server, sandbox, vault_root):
    order = place_at_sandbox(sandbox, alice, "DE", "local")
    sub_order = order.sub_orders.get()
    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)

    screens = [
        ("/orders/", "Orders"),
        ("/orders/numbers/", "Numbers"),
        ("/compliance/submissions/", "Submissions"),
        ("/find/", "Find"),
        ("/orders/search/", "Search numbers"),
        ("/orders/review/", "Review and place"),
        ("/orders/bulk/", None),
        (order.get_absolute_url(), None),
        ("/compliance/deadlines/", "Deadline board"),
        ("/compliance/inbox/", "Inbox"),
        ("/compliance/picture/", "The picture"),
        (f"/compliance/sub-orders/{sub_order.public_id}/requirements", None),
        ("/compliance/profiles/", "Compliance profiles"),
        ("/accounts/password_change/", "Change password"),
        ("/notifications/", "Notifications"),
        ("/notifications/preferences", "Notification choices"),
    ]
    for path, heading in screens:
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response)
        expect(page.locator("h1").first).to_be_visible()
        if heading:
            expect(page.locator("h1").first).to_have_text(heading)

    # The sub order page loads its comment thread through htmx after the page itself.
    page.goto(f"/compliance/sub-orders/{sub_order.public_id}/")
    expect(page.locator("#comments")).to_be_attached()
    assert watched.problems == []


def test_every_admin_list_a_manager_opens_loads_clean(open_page, maria, live_server):
    watched = open_page()
    page = watched.page
    sign_in(page, maria, live_server.url)
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    lists = page.locator("#content-main th[scope=row] a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert len(lists) >= 5, lists
    for path in [*lists, "/compliance/audit/"]:
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response)
        expect(page.locator("#content h1, main h1").first).to_be_visible()
    assert watched.problems == []


def test_the_deadline_board_refreshes_its_rows_in_place(open_page, alice, live_server, sandbox):
    """The board polls every 60 s; the browser clock is moved instead of waiting a minute."""
    order = place_at_sandbox(sandbox, alice, "DE", "local")
    number = order.sub_orders.get().numbers.get()
    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)
    page.clock.install()
    page.goto("/compliance/deadlines/")
    rows = page.locator("table.compliance tbody tr[data-number]")
    expect(rows).to_have_count(1)

    second = place_at_sandbox(sandbox, alice, "DE", "local").sub_orders.get().numbers.get()
    with page.expect_response(lambda r: r.url.endswith("/compliance/deadlines/")) as poll:
        page.clock.run_for(61_000)
    assert poll.value.request.headers.get("hx-request") == "true"
    expect(rows).to_have_count(2)
    expect(page.locator("table.compliance tbody")).to_have_count(1)
    for phone in (number.phone_number, second.phone_number):
        expect(page.locator(f"tr[data-number='{phone}']")).to_be_visible()
    expect(page.get_by_role("heading", name="Deadline board")).to_have_count(1)
    assert watched.problems == []


def idle_for_an_hour(context: Any) -> None:
    """Make the browser's session look idle for an hour, as the server will see it."""
    from django.conf import settings

    from portal.middleware import SESSION_ACTIVITY_KEY

    key = next(c["value"] for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    session[SESSION_ACTIVITY_KEY] = int(time.time()) - 3600
    session.save()


def test_an_htmx_action_in_an_expired_session_leads_to_the_login_page_and_back(
    open_page, alice, live_server, sandbox
):
    order = place_at_sandbox(sandbox, alice, "DE", "local")
    watched = open_page()
    page = watched.page
    sign_in(page, alice, live_server.url)
    page.goto(order.get_absolute_url())
    idle_for_an_hour(watched.context)

    page.get_by_role("button", name="Refresh now").click()
    # The whole window goes to the login form (HX-Redirect), not into the sub orders fragment.
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_label("Username")).to_have_count(1)
    expect(page.locator("#sub-orders")).to_have_count(0)
    expect(page.locator(".messages")).to_contain_text("session has expired")

    complete_sign_in(page, alice, code_offset=1)
    page.wait_for_url(f"{live_server.url}{order.get_absolute_url()}")
    expect(page.get_by_role("button", name="Refresh now")).to_be_visible()
    assert watched.problems == []


def test_a_manager_changes_the_sync_interval_in_admin_under_the_csp(open_page, maria, live_server):
    """The periodic sync's interval is edited in admin (issue 5). django-celery-beat's form
    ships its crontab helper as an inline script our CSP refuses; ours serves it as a file."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    from orders.schedule import SYNC_TASK, ensure_entries

    ensure_entries(PeriodicTask, IntervalSchedule, 300)
    ten_minutes = IntervalSchedule.objects.create(every=10, period="minutes")
    nightly = CrontabSchedule.objects.create(minute="0", hour="4")
    task = PeriodicTask.objects.get(task=SYNC_TASK)
    watched = open_page()
    page = watched.page
    sign_in(page, maria, live_server.url)
    page.goto(f"/admin/django_celery_beat/periodictask/{task.pk}/change/")

    help_text = page.locator(".field-crontab .help")
    page.locator("#id_crontab").select_option(str(nightly.pk))
    expect(help_text).to_contain_text("Translation: At 04:00")
    page.locator("#id_crontab").select_option("")
    expect(help_text).not_to_contain_text("Translation")

    page.locator("#id_interval").select_option(str(ten_minutes.pk))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    task.refresh_from_db()
    assert task.interval_id == ten_minutes.pk
    assert 0 < task.expire_seconds < 600  # a queued run expires before the next one is due
    assert watched.problems == []
