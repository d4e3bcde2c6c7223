"""The dashboard ("the picture"): figures for managers, readable by staff.

Thin: validate the date range, ask ``compliance.dashboard`` for the figures, turn them into SVG
charts (``compliance.charts``) and render; every chart's figures are also in a table.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import dateformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from compliance import dashboard
from compliance.access import VIEW_PERM
from compliance.charts import Bar, Segment, horizontal_bars, legend, vertical_bars
from compliance.forms import DashboardRangeForm
from orders.statuses import badge
from portal.htmx import HtmxHttpRequest

# Fill classes per badge colour (static/dashboard/dashboard.css); the label is always shown too.
_FILL = {
    "badge-ok": "fill-ok",
    "badge-info": "fill-info",
    "badge-warn": "fill-warn",
    "badge-bad": "fill-bad",
    "badge-muted": "fill-muted",
    "badge-neutral": "fill-neutral",
}


def state_label(value: str) -> str:
    return badge(value)[0]


def _fill(value: str) -> str:
    return _FILL.get(badge(value)[1], "fill-neutral")


def _hours(value: float) -> str:
    if math.isnan(value):
        return "—"
    if value < 1:
        return f"{value * 60:.0f} min"
    if value >= 48:
        return f"{value / 24:.1f} days"
    return f"{value:.1f} h"


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _one_decimal(value: float) -> str:
    """As ``floatformat:1`` writes it (half up, from the shortest repr), without the filter."""
    if math.isnan(value):
        return "—"
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _ratio(part: int, whole: int) -> str:
    """As ``{% widthratio part whole 100 %}%`` writes it."""
    return f"{round(part / whole * 100)}%" if whole else "—"


Row = tuple[str, SafeString]


def _cells(texts: list[str]) -> SafeString:
    return mark_safe("".join(f"<td>{escape(t)}</td>" for t in texts))  # noqa: S308 (escaped)


def tables(picture: dashboard.Picture) -> dict[str, list[Row]]:
    """Every table's rows: the row heading (text) and its cells (``<td>`` markup).

    Formatted and joined here once rather than by template filters and a loop per cell: the
    page has several hundred figures, and each one rendered by the template went through a
    loop step and localisation (half the page's rendering time when measured).
    """
    rows = _text_rows(picture)
    return {name: [(head, _cells(cells)) for head, cells in found] for name, found in rows.items()}


def _text_rows(picture: dashboard.Picture) -> dict[str, list[tuple[str, list[str]]]]:
    return {
        "states": [
            (
                row.country or "(no country)",
                [
                    str(row.total),
                    *(str(row.by_vetting.get(s, 0)) for s in picture.vetting_states),
                    *(str(row.by_status.get(s, 0)) for s in picture.statuses),
                ],
            )
            for row in picture.states
        ],
        "activation": [
            (
                r.country,
                [
                    f"{r.month:%Y-%m}",
                    str(r.numbers),
                    _one_decimal(r.median_hours),
                    _one_decimal(r.p90_hours),
                ],
            )
            for r in picture.activation
        ],
        "by_requirement": [
            (r.label, [str(r.decided), str(r.declined), _ratio(r.declined, r.decided)])
            for r in picture.by_requirement
        ],
        "by_country": [
            (r.label, [str(r.decided), str(r.declined), _ratio(r.declined, r.decided)])
            for r in picture.by_country
        ],
        "reasons": [(r.reason, [r.requirement or "—", str(r.count)]) for r in picture.reasons],
        "deadlines": [
            (dateformat.format(d.day, "D Y-m-d"), [str(d.numbers), str(d.sub_orders)])
            for d in picture.deadlines
        ],
        "submissions": [
            (
                f"{s.week:%Y-%m-%d}",
                [
                    str(s.submissions),
                    str(s.first),
                    str(s.first_approved),
                    _ratio(s.first_approved, s.first),
                ],
            )
            for s in picture.submissions
        ],
    }


def charts(picture: dashboard.Picture) -> dict[str, Any]:
    """The SVG of every chart and the legend of the vetting states."""
    state_bars = [
        Bar(
            row.country or "(no country)",
            [
                Segment(row.by_vetting.get(s, 0), _fill(s), state_label(s))
                for s in picture.vetting_states
            ],
        )
        for row in picture.states
    ]
    activation_bars = [
        Bar(
            f"{row.country} {row.month:%Y-%m}",
            [Segment(row.median_hours, "series-0", "Median hours")],
            note=f"median {_hours(row.median_hours)}, 90% {_hours(row.p90_hours)}",
        )
        for row in picture.activation
        if not math.isnan(row.median_hours)
    ]

    def rate_bars(rows: list[dashboard.RateRow]) -> list[Bar]:
        return [
            Bar(r.label, [Segment(r.rate * 100, "fill-bad", "Declined %")], note=_percent(r.rate))
            for r in rows
        ]

    return {
        "states_svg": horizontal_bars(
            "chart-states",
            "Numbers by vetting state per country",
            "One bar per country, split by vetting state; the table below has every figure.",
            state_bars,
        ),
        "states_legend": legend([(_fill(s), state_label(s)) for s in picture.vetting_states]),
        "activation_svg": horizontal_bars(
            "chart-activation",
            "Median time from order to activation, per country and month",
            "Bar length is the median in hours; the note gives the median and the 90th "
            "percentile. The table below has every figure.",
            activation_bars,
            fmt=lambda v: f"{v:.1f} h",
        ),
        "requirement_svg": horizontal_bars(
            "chart-rejections-requirement",
            "Rejection rate per requirement type",
            "Share of decided values that Telnyx declined, per requirement type.",
            rate_bars(picture.by_requirement),
            fmt=lambda v: f"{v:.0f}%",
            scale_max=100,
        ),
        "country_svg": horizontal_bars(
            "chart-rejections-country",
            "Rejection rate per country",
            "Share of decided values that Telnyx declined, per country.",
            rate_bars(picture.by_country),
            fmt=lambda v: f"{v:.0f}%",
            scale_max=100,
        ),
        "reasons_svg": horizontal_bars(
            "chart-reasons",
            "Most common rejection reasons",
            "How often each reason appears in Telnyx admin comments.",
            [
                Bar(r.reason, [Segment(r.count, "fill-bad", r.requirement or "Comment")])
                for r in picture.reasons
            ],
        ),
        "deadlines_svg": vertical_bars(
            "chart-deadlines",
            f"Deadlines in the next {dashboard.DEADLINE_DAYS} days",
            "Numbers with a deadline on each day.",
            [
                (f"{d.day:%d %b}", d.numbers, f"{d.sub_orders} sub orders")
                for d in picture.deadlines
            ],
            css="fill-warn",
        ),
        "submissions_svg": vertical_bars(
            "chart-submissions",
            "Submissions per week",
            "Submissions each week; the table gives the share approved first time.",
            [
                (f"{s.week:%d %b}", s.submissions, f"{_percent(s.share)} approved first time")
                for s in picture.submissions
            ],
        ),
    }


@login_required
def dashboard_page(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_PERM):
        raise Http404("Not found")
    default = dashboard.DateRange.default()
    form = DashboardRangeForm(
        request.GET if request.GET else None,
        initial={"start": default.start, "end": default.end},
    )
    date_range = default
    if form.is_bound and form.is_valid():
        date_range = dashboard.DateRange(form.cleaned_data["start"], form.cleaned_data["end"])
    picture = dashboard.cached_picture(date_range)
    context = {
        "form": form,
        "picture": picture,
        "range": date_range,
        "tables": tables(picture),
        "cache_minutes": int(settings.DASHBOARD_CACHE_SECONDS) // 60,
        **charts(picture),
    }
    return render(request, "compliance/dashboard.html", context)
