"""Status badges: every known Telnyx value is labelled; unknown values stay readable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from orders.statuses import KNOWN_STATUSES, NEUTRAL, badge

SPEC_AND_GUIDE_VALUES = [
    "pending",
    "success",
    "failure",
    "cancelled",
    "deleted",
    "requirement-info-pending",
    "requirement-info-under-review",
    "requirement-info-exception",
    "approved",
    "declined",
    "awaiting-value",
    "pending-approval",
    "partial_success",
    "processing",
    "failed",
]


@pytest.mark.parametrize("value", SPEC_AND_GUIDE_VALUES)
def test_every_known_status_has_a_human_label_and_a_colour(value):
    label, css = badge(value)
    assert value in KNOWN_STATUSES
    assert css != NEUTRAL
    assert label and label != value


def test_an_unknown_status_gets_a_neutral_badge_with_its_own_text():
    assert badge("no-longer-eligible") == ("No longer eligible", NEUTRAL)


def test_a_missing_status_says_it_is_not_known_yet():
    assert badge(None) == ("Not known yet", NEUTRAL)
    assert badge("") == ("Not known yet", NEUTRAL)


def test_the_template_tag_renders_text_and_colour_and_escapes_unknown_values():
    html = Template("{% load orders_tags %}{% status_badge v %}").render(
        Context({"v": "<script>x</script>"})
    )
    assert "<script>" not in html
    assert "badge-neutral" in html
    ok = Template("{% load orders_tags %}{% status_badge 'success' %}").render(Context())
    assert "badge-ok" in ok and ">Success<" in ok


def test_partial_success_carries_its_explanation():
    html = Template("{% load orders_tags %}{% status_badge 'partial_success' %}").render(Context())
    assert "fewer numbers than requested" in html


def test_the_deadline_countdown_says_overdue_soon_or_no_deadline():
    now = timezone.now()
    tpl = Template("{% load orders_tags %}{% deadline_countdown d now %}")
    overdue = tpl.render(Context({"d": now - timedelta(hours=4, minutes=1), "now": now}))
    soon = tpl.render(Context({"d": now + timedelta(hours=5, minutes=30), "now": now}))
    later = tpl.render(Context({"d": now + timedelta(days=2, hours=3, minutes=1), "now": now}))
    none = tpl.render(Context({"d": None, "now": now}))
    assert "overdue by 4 h 1 min" in overdue and "countdown-overdue" in overdue
    assert "in 5 h 30 min" in soon and "countdown-soon" in soon
    assert "in 2 d 3 h" in later
    assert "No deadline" in none


def test_history_timestamps_are_shown_readably():
    tpl = Template("{% load orders_tags %}{{ v|as_datetime }}")
    assert tpl.render(Context({"v": "2026-11-30T03:08:10.689505+00:00"})) == "2026-11-30 03:08 UTC"
    assert tpl.render(Context({"v": ""})) == "none"
