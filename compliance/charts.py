"""Server-rendered SVG bar charts for the dashboard.

Hand-written on purpose: two chart shapes (horizontal stacked bars, vertical bars) cost less
than a charting library and its JavaScript, need no script under our strict CSP (colours come
from classes in a static stylesheet and presentation attributes, never ``style=``), and work
without JavaScript. Every chart has a ``<title>``/``<desc>`` text alternative and sits beside a
table with its figures; the SVG is decoration for sighted readers, the table is the data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
LABEL_WIDTH = 170
BAR_HEIGHT = 18
GAP = 8
TOP = 8


@dataclass(frozen=True)
class Segment:
    value: float
    css: str
    label: str


@dataclass(frozen=True)
class Bar:
    label: str
    segments: Sequence[Segment]
    note: str = ""

    @property
    def total(self) -> float:
        return sum(s.value for s in self.segments)


_EMPTY = mark_safe('<text x="0" y="20" class="chart-empty">No data in this range.</text>')


def _svg(
    chart_id: str, title: str, desc: str, width: int, height: int, body: SafeString
) -> SafeString:
    return format_html(
        '<svg class="chart" id="{id}" role="img" aria-labelledby="{id}-t {id}-d" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=width,
        h=height,
        title=title,
        desc=desc,
        body=body,
    )


def horizontal_bars(
    chart_id: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    scale_max: float | None = None,
) -> SafeString:
    """One row per bar, segments stacked left to right, the total (or note) after the bar."""
    if not bars:
        return _svg(
            chart_id,
            title,
            desc,
            WIDTH,
            30,
            _EMPTY,
        )
    top = scale_max or max(b.total for b in bars) or 1
    # Room after the longest bar for its figure, or for a note ("median 2.0 days, 90% ...").
    plot = WIDTH - LABEL_WIDTH - (230 if any(b.note for b in bars) else 60)
    parts = []
    for i, bar in enumerate(bars):
        y = TOP + i * (BAR_HEIGHT + GAP)
        parts.append(
            format_html(
                '<text x="{x}" y="{ty}" text-anchor="end" class="chart-label">{label}</text>',
                x=LABEL_WIDTH - 6,
                ty=y + BAR_HEIGHT - 4,
                label=_clip(bar.label),
            )
        )
        x = float(LABEL_WIDTH)
        for seg in bar.segments:
            if seg.value <= 0:
                continue
            w = max(1.0, seg.value / top * plot)
            parts.append(
                format_html(
                    '<rect x="{x}" y="{y}" width="{w}" height="{h}" class="{css}">'
                    "<title>{label}: {value}</title></rect>",
                    x=_n(x),
                    y=y,
                    w=_n(w),
                    h=BAR_HEIGHT,
                    css=seg.css,
                    label=seg.label,
                    value=fmt(seg.value),
                )
            )
            x += w
        parts.append(
            format_html(
                '<text x="{x}" y="{ty}" class="chart-value">{text}</text>',
                x=_n(x + 4),
                ty=y + BAR_HEIGHT - 4,
                text=bar.note or fmt(bar.total),
            )
        )
    height = TOP * 2 + len(bars) * (BAR_HEIGHT + GAP)
    return _svg(chart_id, title, desc, WIDTH, height, mark_safe("".join(parts)))  # noqa: S308


def vertical_bars(
    chart_id: str,
    title: str,
    desc: str,
    columns: Sequence[tuple[str, float, str]],
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    css: str = "series-0",
) -> SafeString:
    """One column per ``(label, value, note)``; labels under the columns, values above."""
    if not columns:
        return _svg(
            chart_id,
            title,
            desc,
            WIDTH,
            30,
            _EMPTY,
        )
    plot_h = 140
    top = max(v for _, v, _ in columns) or 1
    step = (WIDTH - 20) / len(columns)
    width = min(40.0, max(4.0, step * 0.7))
    parts = []
    for i, (label, value, note) in enumerate(columns):
        h = value / top * plot_h
        x = 10 + i * step
        y = 20 + plot_h - h
        parts.append(
            format_html(
                '<rect x="{x}" y="{y}" width="{w}" height="{h}" class="{css}">'
                "<title>{label}: {value}{note}</title></rect>"
                '<text x="{cx}" y="{vy}" text-anchor="middle" class="chart-value">'
                "{value}</text>",
                x=_n(x),
                y=_n(y),
                w=_n(width),
                h=_n(h),
                css=css,
                label=label,
                value=fmt(value),
                note=f" ({note})" if note else "",
                cx=_n(x + width / 2),
                vy=_n(y - 4),
            )
        )
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle" class="chart-label">{}</text>',
        (
            (_n(10 + i * step + width / 2), 20 + plot_h + 16, _clip(label, 12))
            for i, (label, _, _) in enumerate(columns)
        ),
    )
    return _svg(
        chart_id,
        title,
        desc,
        WIDTH,
        20 + plot_h + 26,
        mark_safe("".join(parts) + labels),  # noqa: S308
    )


def _n(value: float) -> str:
    return f"{value:.1f}"


def _clip(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def legend(items: Sequence[tuple[str, str]]) -> SafeString:
    """A list of ``(css, label)``: a swatch (SVG) and the label in words."""
    return format_html(
        '<ul class="chart-legend">{}</ul>',
        format_html_join(
            "",
            '<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
            'class="{}"/></svg> {}</li>',
            ((css, label) for css, label in items),
        ),
    )
