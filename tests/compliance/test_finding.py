"""The search box's domain: ids, phone numbers in many formats and names through the blind
index, each scoped by the same access helpers as the pages (P34, P51)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from compliance import blind_index, finding
from compliance.finding import find
from compliance.models import (
    ComplianceProfile,
    RequirementDraft,
    SavedAddress,
    SearchToken,
    Submission,
)
from orders.models import NumberOrder, PlacingState
from tests.orders.factories import NumberOrderFactory, OrderedNumberFactory, SubNumberOrderFactory

pytestmark = pytest.mark.django_db


def de_number(e164="+49301234567", **order_kw):
    sub = SubNumberOrderFactory(country_code="DE", number_order=NumberOrderFactory(**order_kw))
    return OrderedNumberFactory(sub_order=sub, phone_number=e164, country_code="DE")


def urls(found):
    return [h.url for h in found.hits]


@pytest.mark.parametrize(
    "typed",
    ["+49 30 1234567", "+49301234567", "0049 30 1234567", "030 1234567", "(030) 123-45-67"],
)
def test_a_number_is_found_in_any_common_format(alice, typed):
    number = de_number()
    de_number("+49301234568")  # a neighbour is not found
    found = find(alice, typed)
    assert urls(found) == [number.number_order.get_absolute_url()]
    assert found.hits[0].matched == "phone number"


def test_a_national_number_is_read_in_the_country_chosen(alice):
    number = de_number()
    assert find(alice, "030 1234567", "DE").hits[0].url == number.number_order.get_absolute_url()
    # Read as a US number it is another number (or none): not this one.
    assert urls(find(alice, "030 1234567", "US")) == []


def test_a_national_number_with_no_country_known_asks_for_one(alice):
    found = find(alice, "030 1234567")  # we hold no number anywhere yet
    assert found.hits == [] and found.needs_country


def test_an_order_not_placed_yet_is_found_by_a_requested_number(alice):
    order = NumberOrderFactory(
        telnyx_id=None,
        status="",
        placing_state=PlacingState.AWAITING_APPROVAL,
        requested_numbers=[{"phone_number": "+13125550100", "country_code": "US"}],
    )
    SubNumberOrderFactory(country_code="US")
    assert urls(find(alice, "+1 (312) 555-0100")) == [order.get_absolute_url()]


def test_ids_find_orders_sub_orders_and_numbers(alice):
    number = de_number(customer_reference="ref-Alpha-1")
    order, sub = number.number_order, number.sub_order
    assert urls(find(alice, order.telnyx_id)) == [order.get_absolute_url()]
    assert urls(find(alice, order.telnyx_id.upper())) == [order.get_absolute_url()]
    assert urls(find(alice, "  ref-Alpha-1 ")) == [order.get_absolute_url()]
    assert urls(find(alice, str(order.public_id))) == [order.get_absolute_url()]
    assert urls(find(alice, sub.telnyx_id)) == [
        reverse("compliance:sub-order", args=[sub.public_id])
    ]
    assert urls(find(alice, number.telnyx_id)) == [order.get_absolute_url()]
    sub.customer_reference = "sub-ref-7"
    sub.save()
    assert urls(find(alice, "sub-ref-7")) == [reverse("compliance:sub-order", args=[sub.public_id])]
    assert find(alice, str(uuid.uuid4())).hits == []
    assert find(alice, "ref-Alpha").hits == []  # ids match whole, not in part


def submission_for(sub, user, values):
    return Submission.objects.create(sub_order=sub, values=values, submitted_by=user)


@pytest.mark.parametrize("typed", ["Müller", "MULLER", "muller bau", "Bau  MÜLLER", "Müller-Bau"])
def test_a_name_in_a_submission_is_found_whole_words_any_order_case_and_accents(alice, typed):
    number = de_number()
    submission_for(number.sub_order, alice, {"r1": {"type": "textual", "value": "Müller Bau GmbH"}})
    url = reverse("compliance:sub-order", args=[number.sub_order.public_id])
    assert urls(find(alice, typed)) == [url]


def test_part_of_a_word_or_an_absent_word_finds_nothing(alice):
    number = de_number()
    submission_for(number.sub_order, alice, {"r1": {"type": "textual", "value": "Müller Bau"}})
    assert find(alice, "Müll").hits == []
    assert find(alice, "Müller Schmidt").hits == []


def test_names_in_addresses_drafts_and_profiles_are_found(alice, maria):
    number = de_number()
    sub_url = reverse("compliance:sub-order", args=[number.sub_order.public_id])
    address = SavedAddress.objects.create(
        label="HQ", fields={"business_name": "Zebra Telecom", "street_address": "Hauptstraße 1"}
    )
    submission_for(
        number.sub_order, alice, {"r1": {"type": "address", "address": str(address.public_id)}}
    )
    assert urls(find(alice, "zebra telecom")) == [sub_url]
    assert find(alice, "Hauptstraße").hits == []  # street addresses are not indexed

    other = de_number("+49301234569")
    RequirementDraft.objects.create(
        sub_order=other.sub_order, values={"r1": {"type": "textual", "value": "Jane Roe"}}
    )
    assert urls(find(alice, "jane roe")) == [
        reverse("compliance:sub-order", args=[other.sub_order.public_id])
    ]

    profile = ComplianceProfile.objects.create(name="Quokka Holdings", values={})
    assert urls(find(maria, "quokka")) == [reverse("compliance:profile", args=[profile.public_id])]


def test_the_index_holds_keyed_digests_never_the_name(alice, settings):
    number = de_number()
    submission_for(number.sub_order, alice, {"r1": {"type": "textual", "value": "Canary Person"}})
    stored = list(SearchToken.objects.values_list("digest", flat=True))
    assert blind_index.digest("canary") in stored
    assert all("canary" not in d.lower() for d in stored)
    # Another key gives other digests: a dictionary of names hashed without the key is useless.
    before = blind_index.digest("canary")
    settings.SEARCH_INDEX_KEY = "another-key-" + "x" * 32
    assert blind_index.digest("canary") != before


def test_a_value_changed_or_emptied_is_no_longer_found(alice):
    number = de_number()
    submission = submission_for(
        number.sub_order, alice, {"r1": {"type": "textual", "value": "Old Name"}}
    )
    submission.values = {"r1": {"type": "textual", "value": "New Name"}}
    submission.save()
    assert find(alice, "old name").hits == []
    assert len(find(alice, "new name").hits) == 1
    # Retention empties values with a bulk update, which sends no signal: the stale token
    # points at a row that no longer holds the name, so nothing is shown.
    Submission.objects.filter(pk=submission.pk).update(values={})
    assert find(alice, "new name").hits == []


def test_reindex_all_rebuilds_the_index_after_a_key_change(alice, settings):
    number = de_number()
    submission_for(number.sub_order, alice, {"r1": {"type": "textual", "value": "Ada Lovelace"}})
    settings.SEARCH_INDEX_KEY = "rotated-key-" + "y" * 32
    assert find(alice, "lovelace").hits == []
    assert blind_index.reindex_all() == 1
    assert len(find(alice, "lovelace").hits) == 1


def test_p34_an_outsider_finds_nothing(olga):
    number = de_number(customer_reference="ref-olga")
    submission_for(number.sub_order, None, {"r1": {"type": "textual", "value": "Hidden Name"}})
    for typed in ["+49 30 1234567", "ref-olga", number.sub_order.telnyx_id, "hidden name"]:
        assert find(olga, typed).hits == [], typed


def test_p34_search_goes_through_the_orders_access_helper(alice, maria, monkeypatch):
    """Were orders scoped per person, another staff member's order would not be found: the
    search asks the same helper the pages ask (replaced here by an owner-scoped one)."""
    mine = de_number("+49301234567", placed_by=alice)
    theirs = de_number("+49301234568", placed_by=maria)
    submission_for(theirs.sub_order, maria, {"r1": {"type": "textual", "value": "Their Client"}})

    def own_orders(user):
        return NumberOrder.objects.filter(placed_by=user)

    monkeypatch.setattr(finding, "visible_orders", own_orders)
    assert urls(find(alice, "+49 30 1234567")) == [mine.number_order.get_absolute_url()]
    for typed in [
        "+49 30 1234568",
        theirs.number_order.telnyx_id,
        theirs.sub_order.telnyx_id,
        theirs.telnyx_id,
        "their client",
    ]:
        assert find(alice, typed).hits == [], typed
