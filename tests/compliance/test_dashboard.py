"""The dashboard ("the picture"): each chart's figures from a known, factory-built data set.

The data set below is small enough to work out by hand; every expected figure is derived in a
comment next to it. The page is checked through its tables (what a reader copies), the SVG
through its text alternative and the absence of ``style=`` (our CSP forbids it).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from compliance import dashboard, tasks
from compliance.models import RequirementType, Submission
from orders import mirror
from orders.models import NumberStatusChange
from tests.orders.factories import NumberOrderFactory, OrderedNumberFactory, SubNumberOrderFactory

R_ADDR = "11111111-1111-1111-1111-111111111111"
R_ID = "22222222-2222-2222-2222-222222222222"
RANGE = dashboard.DateRange(date(2026, 10, 1), date(2026, 11, 30))
OCT = datetime(2026, 10, 5, tzinfo=UTC)
NOV = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_dashboard_cache(settings):
    """Figures computed on every view, unless a test turns the cache on."""
    settings.DASHBOARD_CACHE_SECONDS = 0


def _req(rid: str, status: str) -> dict[str, str]:
    return {"requirement_id": rid, "field_type": "textual", "status": status}


def _activated(number, after: timedelta) -> None:
    NumberStatusChange.objects.create(
        number=number,
        field="status",
        old_value="pending",
        new_value="success",
        at=number.number_order.placed_at + after,
        source="sync",
    )


def build_data_set(copies: int = 1, prefix: str = "") -> dict[str, object]:
    """The known data set; ``copies`` repeats it (for the query-count check)."""
    RequirementType.objects.get_or_create(telnyx_id=R_ADDR, defaults={"name": "Proof of address"})
    RequirementType.objects.get_or_create(telnyx_id=R_ID, defaults={"name": "Identity document"})
    soon = timezone.now() + timedelta(days=2)
    made: dict[str, object] = {}
    for i in range(copies):
        # Order A, US, October: two activated numbers (10 h, 30 h) and one rejected.
        order_a = NumberOrderFactory(created_at=OCT, placed_at=OCT)
        # Approved in the end, but only after a second submission.
        sub_a = SubNumberOrderFactory(
            number_order=order_a, country_code="US", requirements_met=True
        )
        n1 = OrderedNumberFactory(
            sub_order=sub_a,
            status="success",
            requirements_status="approved",
            regulatory_requirements=[_req(R_ADDR, "approved"), _req(R_ID, "declined")],
        )
        n2 = OrderedNumberFactory(
            sub_order=sub_a,
            status="success",
            requirements_status="approved",
            regulatory_requirements=[_req(R_ADDR, "approved"), _req(R_ID, "approved")],
        )
        OrderedNumberFactory(
            sub_order=sub_a,
            requirements_status="requirement-info-exception",
            regulatory_requirements=[_req(R_ADDR, "declined")],
            deadline=soon,
        )
        _activated(n1, timedelta(hours=10))
        _activated(n2, timedelta(hours=30))
        # Order B, DE, November: one activated after 20 h, one still waiting for values.
        order_b = NumberOrderFactory(created_at=NOV, placed_at=NOV)
        sub_b = SubNumberOrderFactory(
            number_order=order_b, country_code="DE", requirements_met=True
        )
        n5 = OrderedNumberFactory(
            sub_order=sub_b,
            country_code="DE",
            phone_number=f"+49{prefix}{i:08d}",
            status="success",
            requirements_status="approved",
            regulatory_requirements=[_req(R_ADDR, "approved")],
        )
        n6 = OrderedNumberFactory(
            sub_order=sub_b,
            country_code="DE",
            requirements_status="requirement-info-pending",
            regulatory_requirements=[_req(R_ADDR, "awaiting-value")],
            deadline=soon,
        )
        _activated(n5, timedelta(hours=20))
        # Order C, FR, long before the range: never counted (its deadline is counted: the
        # deadline chart looks ahead whatever the range).
        old = datetime(2025, 1, 6, tzinfo=UTC)
        order_c = NumberOrderFactory(created_at=old, placed_at=old)
        sub_c = SubNumberOrderFactory(number_order=order_c, country_code="FR")
        OrderedNumberFactory(
            sub_order=sub_c,
            country_code="FR",
            status="success",
            requirements_status="approved",
            regulatory_requirements=[_req(R_ADDR, "declined")],
        )
        # Not due soon, or not pending: not in the deadline chart.
        OrderedNumberFactory(sub_order=sub_c, country_code="FR", deadline=soon + timedelta(20))
        OrderedNumberFactory(sub_order=sub_c, country_code="FR", status="cancelled", deadline=soon)
        # Admin comments: one listing two declined values, a second one, a cancellation
        # notice; a user's comment is not a rejection reason.
        # Mirrored as a sync does, which records the reasons they list.
        bodies = [
            "Some requirement values were declined:\n"
            "- +15550000001 - Identity document: the value was not accepted\n"
            "- +15550000003 - Proof of address: the address field locality could not be "
            "verified\nPlease provide corrected values before 2026-10-08T00:00:00Z.",
            "Some requirement values were declined:\n"
            "- +15550000003 - Proof of address: the address field locality could not be "
            "verified",
            "This order was cancelled because the requirements deadline passed.",
        ]
        mirror.apply_comments(
            sub_a,
            [
                *(
                    {"id": f"{prefix}c{i}-{n}", "body": body, "commenter_type": "admin"}
                    for n, body in enumerate(bodies)
                ),
                {"id": f"{prefix}u{i}", "body": "Fixed it", "commenter_type": "user"},
            ],
        )
        # Submissions: A's first one needed a second (not approved first time); B's first one
        # was approved. Weeks of 2 Nov and 9 Nov 2026 (Mondays).
        s1 = Submission.objects.create(
            sub_order=sub_a, status=Submission.Status.SUBMITTED, created_at=NOV
        )
        Submission.objects.create(
            sub_order=sub_a,
            previous=s1,
            status=Submission.Status.SUBMITTED,
            created_at=NOV + timedelta(days=7),
        )
        Submission.objects.create(
            sub_order=sub_b, status=Submission.Status.SUBMITTED, created_at=NOV + timedelta(1)
        )
        # Submissions for one number: n5 was approved, n6 still waits for values.
        for number in (n5, n6):
            Submission.objects.create(
                sub_order=sub_b,
                number=number,
                status=Submission.Status.SUBMITTED,
                created_at=NOV + timedelta(2),
            )
        made = {"soon": soon}
    return made


@pytest.mark.django_db
def test_numbers_by_state_count_each_country_by_vetting_state_and_status():
    build_data_set()
    rows, vetting, statuses = dashboard.numbers_by_state(RANGE)
    by_country = {r.country: r for r in rows}
    assert set(by_country) == {"US", "DE"}  # FR was ordered before the range
    assert by_country["US"].by_vetting == {"approved": 2, "requirement-info-exception": 1}
    assert by_country["US"].by_status == {"success": 2, "pending": 1}
    assert by_country["DE"].by_vetting == {"approved": 1, "requirement-info-pending": 1}
    assert vetting == ["approved", "requirement-info-pending", "requirement-info-exception"]
    assert statuses == ["success", "pending"]


@pytest.mark.django_db
def test_activation_time_is_median_and_90th_percentile_per_country_and_month():
    build_data_set()
    rows = {(r.country, r.month): r for r in dashboard.activation_times(RANGE)}
    us = rows["US", date(2026, 10, 1)]
    # 10 h and 30 h: median 20 h; percentile_cont(0.9) = 10 + 0.9 * 20 = 28 h.
    assert (us.numbers, us.median_hours, us.p90_hours) == (2, 20.0, 28.0)
    de = rows["DE", date(2026, 11, 1)]
    assert (de.numbers, de.median_hours, de.p90_hours) == (1, 20.0, 20.0)
    assert len(rows) == 2


def test_the_python_percentile_matches_percentile_cont():
    assert dashboard.percentile([10.0, 30.0], 0.9) == 28.0
    assert dashboard.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert dashboard.percentile([5.0], 0.9) == 5.0


@pytest.mark.django_db
def test_rejection_rate_is_declined_over_decided_values_per_requirement_and_country():
    build_data_set()
    per_type, per_country = dashboard.rejection_rates(RANGE)
    types = {r.label: (r.decided, r.declined) for r in per_type}
    # Proof of address: approved on n1, n2, n5, declined on n3 (awaiting-value not decided).
    assert types == {"Proof of address": (4, 1), "Identity document": (2, 1)}
    countries = {r.label: (r.decided, r.declined, r.rate) for r in per_country}
    assert countries == {"US": (5, 2, 0.4), "DE": (1, 0, 0.0)}


@pytest.mark.django_db
def test_rejection_reasons_come_from_admin_comments_most_common_first():
    build_data_set()
    reasons = [(r.requirement, r.reason, r.count) for r in dashboard.rejection_reasons(RANGE)]
    assert reasons == [
        ("Proof of address", "the address field locality could not be verified", 2),
        ("", "This order was cancelled because the requirements deadline passed.", 1),
        ("Identity document", "the value was not accepted", 1),
    ]


@pytest.mark.django_db
def test_deadlines_count_pending_numbers_per_day_for_the_next_14_days():
    made = build_data_set()
    rows = dashboard.upcoming_deadlines(timezone.now())
    assert len(rows) >= 14
    due = {r.day: (r.numbers, r.sub_orders) for r in rows if r.numbers}
    # n3 (US, sub A) and the DE number (sub B); the FR one is due in 22 days.
    assert due == {timezone.localtime(made["soon"]).date(): (2, 2)}


@pytest.mark.django_db
def test_submissions_per_week_and_the_share_approved_first_time():
    build_data_set()
    rows = [(r.week, r.submissions, r.first, r.first_approved) for r in
            dashboard.submissions_per_week(RANGE)]  # fmt: skip
    # Week of 2 Nov: A's and B's first submissions, and one for each of n5 and n6.
    assert rows == [(date(2026, 11, 2), 4, 4, 2), (date(2026, 11, 9), 1, 0, 0)]


def _table_rows(html: str, caption: str) -> list[list[str]]:
    table = html.split(f"<caption>{caption}</caption>", 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


@pytest.mark.django_db
def test_the_page_shows_every_charts_figures_in_tables_for_the_chosen_range(alice_client):
    build_data_set()
    response = alice_client.get(
        reverse("compliance:dashboard"), {"start": "2026-10-01", "end": "2026-11-30"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    states = _table_rows(html, "Numbers per country by vetting state and by number status")
    # Columns: country, numbers, Approved, Info needed, Rejected (fix needed), Success, Pending.
    assert states == [["US", "3", "2", "0", "1", "2", "1"], ["DE", "2", "1", "1", "0", "1", "1"]]
    assert "Vetting: Info needed" in html and "Status: Success" in html  # statuses in words
    activation = _table_rows(
        html,
        "Hours from placing the order to the number becoming active, by country and month "
        "of the order",
    )
    assert activation == [
        ["DE", "2026-11", "1", "20.0", "20.0"],
        ["US", "2026-10", "2", "20.0", "28.0"],
    ]
    assert _table_rows(html, "Rejection rate per requirement type") == [
        ["Identity document", "2", "1", "50%"],
        ["Proof of address", "4", "1", "25%"],
    ]
    assert _table_rows(html, "Rejection rate per country") == [
        ["US", "5", "2", "40%"],
        ["DE", "1", "0", "0%"],
    ]
    reasons = _table_rows(html, "Most common rejection reasons in Telnyx admin comments")
    assert reasons[0] == [
        "the address field locality could not be verified",
        "Proof of address",
        "2",
    ]
    deadlines = _table_rows(html, "Numbers and sub orders with a deadline on each day")
    assert sum(int(r[1]) for r in deadlines) == 2
    assert _table_rows(html, "Submissions per week (weeks start on Monday)") == [
        ["2026-11-02", "4", "4", "2", "50%"],
        ["2026-11-09", "1", "0", "0", "—"],
    ]
    # Another range shows other orders: only FR was ordered in January 2025.
    january = alice_client.get(
        reverse("compliance:dashboard"), {"start": "2025-01-01", "end": "2025-01-31"}
    ).content.decode()
    states = _table_rows(january, "Numbers per country by vetting state and by number status")
    assert [row[:2] for row in states] == [["FR", "3"]]


@pytest.mark.django_db
def test_each_chart_is_svg_with_a_text_alternative_and_no_style_attribute(alice_client):
    build_data_set()
    html = alice_client.get(
        reverse("compliance:dashboard"), {"start": "2026-10-01", "end": "2026-11-30"}
    ).content.decode()
    charts = re.findall(r"<svg class=\"chart\"[^>]*>.*?</svg>", html, re.S)
    assert len(charts) == 7
    for svg in charts:
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "style=" not in html and "<script>" not in html
    # Bars carry the state in words too (their <title>), not only a colour.
    assert "<title>Rejected, fix needed: 1</title>" in html


@pytest.mark.django_db
def test_a_bad_range_says_what_is_wrong_and_shows_the_default_range(alice_client):
    response = alice_client.get(
        reverse("compliance:dashboard"), {"start": "2026-11-30", "end": "2026-10-01"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The end of the range is before its start." in html
    default = dashboard.DateRange.default()
    assert f"<strong>{default.start:%Y-%m-%d}</strong>" in html
    garbage = alice_client.get(reverse("compliance:dashboard"), {"start": "31/31/2026", "end": ""})
    assert garbage.status_code == 200 and "Enter a valid date." in garbage.content.decode()


@pytest.mark.django_db
def test_staff_and_managers_read_it_outsiders_do_not(alice_client, maria_client, olga_client):
    url = reverse("compliance:dashboard")
    page = alice_client.get(url)
    assert page.status_code == 200
    default = dashboard.DateRange.default()  # the range form starts filled in
    assert f'value="{default.start:%Y-%m-%d}"' in page.content.decode()
    assert maria_client.get(url).status_code == 200
    assert olga_client.get(url).status_code == 404
    assert 'href="/compliance/picture/"' in alice_client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_queries_stay_constant_as_the_data_grows(alice_client, django_assert_max_num_queries):
    url = reverse("compliance:dashboard")
    params = {"start": "2026-10-01", "end": "2026-11-30"}
    build_data_set(copies=1, prefix="1")
    alice_client.get(url, params)  # warm the session and permission caches
    # The figures run in one transaction (no JIT): in a test its savepoint counts as two.
    with django_assert_max_num_queries(18) as small:
        alice_client.get(url, params)
    build_data_set(copies=8, prefix="2")
    with django_assert_max_num_queries(18) as large:
        alice_client.get(url, params)
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.django_db
def test_figures_are_cached_and_the_beat_task_refreshes_the_default_range(
    settings, alice_client, django_assert_max_num_queries
):
    settings.DASHBOARD_CACHE_SECONDS = 300
    default = dashboard.DateRange.default()
    cache.delete(dashboard._cache_key(default))
    try:
        OrderedNumberFactory(country_code="US")
        first = dashboard.cached_picture(default)
        assert [(r.country, r.total) for r in first.states] == [("US", 1)]
        OrderedNumberFactory(country_code="US")
        again = dashboard.cached_picture(default)
        assert [(r.country, r.total) for r in again.states] == [("US", 1)]
        assert again.computed_at == first.computed_at
        # Session, user, permissions, the menu's inbox count and bell: no aggregate query.
        with django_assert_max_num_queries(7):
            page = alice_client.get(reverse("compliance:dashboard")).content.decode()
        assert "Figures computed at" in page and "kept for 5 minutes" in page
        tasks.warm_dashboard()
        fresh = dashboard.cached_picture(default)
        assert [(r.country, r.total) for r in fresh.states] == [("US", 2)]
    finally:
        cache.delete(dashboard._cache_key(default))


@pytest.mark.django_db
def test_without_percentile_cont_the_same_activation_figures_come_from_python(monkeypatch):
    """`make run` uses SQLite, which has no percentile aggregate: the fallback agrees."""
    from django.db import connection

    build_data_set()
    in_database = dashboard.activation_times(RANGE)
    monkeypatch.setattr(connection, "vendor", "sqlite")
    in_python = dashboard.activation_times(RANGE)
    assert in_python == in_database


def test_the_sqlite_rejection_query_counts_like_the_postgresql_one():
    """The SQLite spelling of the rates query, run by SQLite itself on a two-number table."""
    import json
    import sqlite3

    db = sqlite3.connect(":memory:")
    db.executescript(
        "CREATE TABLE orders_numberorder (id INTEGER PRIMARY KEY, created_at TEXT);"
        "CREATE TABLE orders_orderednumber (id INTEGER PRIMARY KEY, number_order_id INTEGER,"
        " country_code TEXT, regulatory_requirements TEXT);"
    )
    db.execute("INSERT INTO orders_numberorder VALUES (1, '2026-10-05'), (2, '2025-01-01')")
    rows = [
        (1, 1, "US", [_req(R_ADDR, "approved"), _req(R_ID, "declined")]),
        (2, 1, "US", [_req(R_ADDR, "declined"), _req(R_ID, "awaiting-value")]),
        (3, 1, "DE", {"not": "a list"}),
        (4, 2, "FR", [_req(R_ADDR, "declined")]),  # outside the range
    ]
    db.executemany(
        "INSERT INTO orders_orderednumber VALUES (?, ?, ?, ?)",
        [(i, o, c, json.dumps(r)) for i, o, c, r in rows],
    )
    created_in = "o.created_at >= %s AND o.created_at < %s"
    sql = dashboard._RATES_SQL["sqlite"].format(created_in=created_in).replace("%s", "?")
    found = sorted(db.execute(sql, ["2026-10-01", "2026-12-01"]).fetchall())
    assert found == sorted([(R_ADDR, "US", 1, 2), (R_ID, "US", 1, 1)])


@pytest.mark.django_db
def test_reasons_tied_at_the_limit_are_ranked_by_their_text():
    build_data_set()
    reasons = [(r.reason, r.count) for r in dashboard.rejection_reasons(RANGE, limit=2)]
    # Two reasons are counted once: the cancellation notice comes first alphabetically
    # (its requirement is empty), "the value was not accepted" is left out.
    assert reasons == [
        ("the address field locality could not be verified", 2),
        ("This order was cancelled because the requirements deadline passed.", 1),
    ]
    assert (
        dashboard.rejection_reasons(dashboard.DateRange(date(2024, 1, 1), date(2024, 1, 2))) == []
    )


def test_the_tables_write_figures_as_the_template_filters_did():
    """The view formats the tables' figures itself (cheaper than a filter per cell); the text
    is what ``floatformat:1`` and ``widthratio`` gave."""
    from django.template import Context, Template

    from compliance.views.dashboard import _one_decimal, _ratio

    template = Template("{{ v|floatformat:1 }}")
    for value in (20.0, 28.0, 0.25, 0.35, 2.675, 1e-7, 1234.55, 99.95, 12345678.25):
        assert _one_decimal(value) == template.render(Context({"v": value}))
    ratio = Template("{% widthratio a b 100 %}%")
    for part, whole in ((1, 2), (1, 3), (2, 3), (1, 8), (3, 8), (5, 8), (0, 4), (7, 7)):
        assert _ratio(part, whole) == ratio.render(Context({"a": part, "b": whole}))


@pytest.mark.django_db
def test_a_reason_written_as_markup_is_shown_as_text(alice_client):
    """Reasons are Telnyx's free text: the table and the chart escape them."""
    build_data_set()
    sub = SubNumberOrderFactory(number_order=NumberOrderFactory(created_at=OCT, placed_at=OCT))
    body = "Some requirement values were declined:\n- +1555 - <i>Proof</i>: <b>bad</b> & worse"
    mirror.apply_comments(sub, [{"id": "markup", "body": body, "commenter_type": "admin"}])
    html = alice_client.get(
        reverse("compliance:dashboard"), {"start": "2026-10-01", "end": "2026-11-30"}
    ).content.decode()
    assert "<b>" not in html and "<i>" not in html
    assert '<th scope="row">&lt;b&gt;bad&lt;/b&gt; &amp; worse</th><td>&lt;i&gt;Proof' in html
