"""The search box: one text finds orders by phone number, Telnyx id, reference or name.

What can be typed, tried in this order, all results together:

- an id: our order reference (``customer_reference``), a Telnyx number order, sub order or
  number-order-phone-number id, a bulk order id, or a public id from a portal URL;
- a phone number in any format the ``phonenumbers`` library reads (``+49 30 1234567``,
  ``0049 30 1234567``, ``030 1234567``); national forms are read in the chosen country or, with
  none chosen, in each country we hold numbers in;
- a name (end user, business, address name parts, a profile's name) or another textual
  requirement value, through the blind index (whole words, any order, no decryption of tables).

Every result goes through the same access helpers as the pages it links to: what a user cannot
open, the search does not reveal.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.urls import reverse

from compliance import blind_index
from compliance.access import VIEW_PERM
from compliance.models import ComplianceProfile, RequirementDraft, Submission
from orders import phone
from orders.access import visible_orders
from orders.models import BulkOrder, NumberOrder, OrderedNumber, SubNumberOrder
from orders.phone_search import held_regions

MAX_QUERY = 200
MAX_HITS = 50
# Looks like a number but could not be read without a country (a hint for the form, not a rule
# about numbers: the library decides what is valid).
_DIGITS = re.compile(r"^[\d\s()./-]{6,}$")


@dataclass(frozen=True)
class Hit:
    kind: str  # what was found: "Order", "Sub order", "Number", "Bulk order", "Profile"
    label: str  # how the list shows it (ids and numbers only, never a personal value)
    url: str
    matched: str  # which kind of value matched: "phone number", "Telnyx id", "name", ...


@dataclass
class Found:
    hits: list[Hit] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)  # E.164 forms tried
    needs_country: bool = False

    def add(self, hit: Hit) -> None:
        if len(self.hits) < MAX_HITS and all(h.url != hit.url for h in self.hits):
            self.hits.append(hit)


def _order_hit(order: NumberOrder, matched: str) -> Hit:
    return Hit(
        "Order", str(order.telnyx_id or order.customer_reference), order.get_absolute_url(), matched
    )


def _sub_hit(sub: SubNumberOrder, matched: str) -> Hit:
    return Hit(
        "Sub order",
        f"{sub.telnyx_id} ({sub.country_code} {sub.phone_number_type})",
        reverse("compliance:sub-order", args=[sub.public_id]),
        matched,
    )


def _visible_subs(user: Any) -> QuerySet[SubNumberOrder]:
    if not user.has_perm(VIEW_PERM):
        return SubNumberOrder.objects.none()
    return SubNumberOrder.objects.filter(number_order__in=visible_orders(user))


def _by_id(user: Any, text: str, found: Found) -> None:
    keys = list(dict.fromkeys([text, text.lower()]))
    try:
        public_id: uuid.UUID | None = uuid.UUID(text)
    except ValueError:
        public_id = None
    orders = visible_orders(user)
    id_q = Q(telnyx_id__in=keys) | Q(customer_reference__in=keys)
    for order in orders.filter(id_q | Q(public_id=public_id) if public_id else id_q)[:MAX_HITS]:
        matched = "Telnyx id" if order.telnyx_id in keys else "our reference"
        found.add(_order_hit(order, "public id" if order.public_id == public_id else matched))
    sub_q = Q(telnyx_id__in=keys) | Q(customer_reference__in=keys)
    subs = _visible_subs(user).filter(sub_q | Q(public_id=public_id) if public_id else sub_q)
    for sub in subs[:MAX_HITS]:
        found.add(_sub_hit(sub, "Telnyx id" if sub.telnyx_id in keys else "reference"))
    for number in OrderedNumber.objects.filter(
        number_order__in=orders, telnyx_id__in=keys
    ).select_related("number_order")[:MAX_HITS]:
        found.add(
            Hit("Number", number.phone_number, number.number_order.get_absolute_url(), "Telnyx id")
        )
    if user.has_perm("orders.view_bulkorder"):
        bulk_q = Q(telnyx_id__in=keys) | Q(customer_reference__in=keys)
        for bulk in BulkOrder.objects.filter(
            bulk_q | Q(public_id=public_id) if public_id else bulk_q
        )[:MAX_HITS]:
            found.add(
                Hit(
                    "Bulk order",
                    str(bulk.telnyx_id or bulk.customer_reference),
                    bulk.get_absolute_url(),
                    "id",
                )
            )
    if public_id and user.has_perm(VIEW_PERM):
        submission = (
            Submission.objects.filter(public_id=public_id, sub_order__in=_visible_subs(user))
            .select_related("sub_order")
            .first()
        )
        if submission:
            found.add(_sub_hit(submission.sub_order, "submission id"))


def _by_phone(user: Any, text: str, country: str, found: Found) -> None:
    regions = [country] if country else held_regions()
    found.numbers = phone.candidates(text, regions)
    if not found.numbers:
        found.needs_country = not country and bool(_DIGITS.match(text))
        return
    orders = visible_orders(user)
    numbers = (
        OrderedNumber.objects.filter(number_order__in=orders, phone_number__in=found.numbers)
        .select_related("number_order", "sub_order")
        .order_by("phone_number", "-number_order__created_at")
    )
    for number in numbers[:MAX_HITS]:
        found.add(
            Hit(
                "Number",
                number.phone_number,
                number.number_order.get_absolute_url(),
                "phone number",
            )
        )
    if connection.vendor == "postgresql":
        # Orders not placed yet (awaiting approval, failed) hold their numbers only as requested.
        pending = Q()
        for e164 in found.numbers:
            pending |= Q(requested_numbers__contains=[{"phone_number": e164}])
        for order in orders.filter(pending).order_by("-created_at")[:MAX_HITS]:
            found.add(_order_hit(order, "phone number"))


def _by_name(user: Any, text: str, found: Found) -> None:
    if user.has_perm(VIEW_PERM):
        subs = _visible_subs(user)
        for owner, model in (("submission", Submission), ("draft", RequirementDraft)):
            ids = blind_index.matching(owner, text)
            if not ids:
                continue
            rows = model.objects.filter(pk__in=ids, sub_order__in=subs).select_related("sub_order")
            for row in rows.order_by("-pk")[:MAX_HITS]:
                if blind_index.still_holds(row, text):
                    found.add(_sub_hit(row.sub_order, "name or value"))
    if user.has_perm("compliance.view_complianceprofile"):
        ids = blind_index.matching("profile", text)
        for profile in ComplianceProfile.objects.filter(pk__in=ids or [])[:MAX_HITS]:
            if blind_index.still_holds(profile, text):
                found.add(
                    Hit(
                        "Profile",
                        profile.get_kind_display(),
                        reverse("compliance:profile", args=[profile.public_id]),
                        "name or value",
                    )
                )


def find(user: Any, query: str, country: str = "") -> Found:
    """Everything ``user`` may open that ``query`` names (ids, phone numbers, names)."""
    found = Found()
    text = " ".join(query.split())[:MAX_QUERY]
    if not text:
        return found
    _by_id(user, text, found)
    _by_phone(user, text, country.upper(), found)
    _by_name(user, text, found)
    if found.hits:
        found.needs_country = False
    return found
