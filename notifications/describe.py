"""Titles and links of notifications, from the record they are about.

Titles name the kind of record, its country and number type and the order's short reference,
never a requirement value, a comment's text, a document or a profile's name (P51): any of
those can carry a person's name.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from notifications.events import HEADLINES, Event
from notifications.routing import sub_order_of


def _sub_order_name(sub_order: Any) -> str:
    return (
        f"{sub_order.country_code} {sub_order.phone_number_type} sub order of "
        f"{sub_order.number_order.reference}"
    )


def subject_of(record: Any) -> str:
    """What the record is, in a few words without personal values."""
    label = record._meta.label_lower
    if label == "orders.numberorder":
        return f"order {record.reference} ({record.summary})"
    if label == "orders.bulkorder":
        return f"bulk order {record.reference} ({record.count_requested} numbers)"
    if label == "compliance.requirementgrouplink":
        return f"requirement group {record.country_code} {record.phone_number_type}"
    sub_order = sub_order_of(record)
    if label == "compliance.submission":
        return f"submission for the {_sub_order_name(sub_order)}"
    if sub_order is not None:
        return _sub_order_name(sub_order)
    return str(record._meta.verbose_name)


def title(event: str, record: Any) -> str:
    return f"{HEADLINES.get(event, event)}: {subject_of(record)}"[:300]


def url_of(event: str, record: Any) -> str:
    """The exact page where the work is done (a path)."""
    label = record._meta.label_lower
    if label == "compliance.submission":
        if event == Event.APPROVAL:  # managers decide in the admin, with the diff
            return reverse("admin:compliance_submission_change", args=[record.pk])
        return reverse("compliance:sub-order", args=[record.sub_order.public_id]) + "#submissions"
    if label == "compliance.requirementgrouplink":
        page = reverse("compliance:group", args=[record.public_id])
        return page + ("#comments" if event == Event.COMMENT else "")
    sub_order = sub_order_of(record)
    if sub_order is not None:
        page = reverse("compliance:sub-order", args=[sub_order.public_id])
        return page + ("#comments" if event == Event.COMMENT else "")
    return str(record.get_absolute_url())
