"""Search and bulk forms: invalid Telnyx filter combinations are explained next to the field."""

from __future__ import annotations

from orders.forms import PlaceOrderForm, SearchForm, bulk_group_formset


def test_search_filters_map_to_client_keywords():
    form = SearchForm(
        {
            "country_code": "us",
            "phone_number_type": "local",
            "administrative_area": "ca",
            "national_destination_code": "415",
            "starts_with": "55",
            "features": ["sms", "voice"],
            "best_effort": "true",
            "reservable": "false",
            "limit": "5",
        }
    )
    assert form.is_valid(), form.errors
    assert form.telnyx_filters() == {
        "country_code": "US",
        "phone_number_type": "local",
        "administrative_area": "CA",
        "national_destination_code": "415",
        "starts_with": "55",
        "features": ["sms", "voice"],
        "best_effort": True,
        "reservable": False,
        "limit": 5,
    }


def test_state_and_best_effort_outside_us_ca_are_explained_on_their_fields():
    form = SearchForm({"country_code": "DE", "administrative_area": "BY", "best_effort": "true"})
    assert not form.is_valid()
    assert "US and CA only" in form.errors["administrative_area"][0]
    assert "US and CA only" in form.errors["best_effort"][0]


def test_quickship_is_only_for_nanp_toll_free():
    form = SearchForm({"country_code": "US", "phone_number_type": "local", "quickship": "true"})
    assert not form.is_valid()
    assert "toll-free" in form.errors["quickship"][0]
    ok = SearchForm({"country_code": "US", "phone_number_type": "toll_free", "quickship": "true"})
    assert ok.is_valid(), ok.errors


def test_wildcards_and_country_codes_in_patterns_are_refused():
    form = SearchForm({"country_code": "US", "contains": "55*", "starts_with": "+1415"})
    assert not form.is_valid()
    assert "wildcards" in form.errors["contains"][0]
    assert "Digits only" in form.errors["starts_with"][0]


def test_the_place_form_mints_a_fresh_intent_each_time_it_is_shown():
    first, second = PlaceOrderForm(), PlaceOrderForm()
    assert first.initial["intent"] != second.initial["intent"]


def _bulk_post(groups):
    data = {
        "group-TOTAL_FORMS": str(len(groups)),
        "group-INITIAL_FORMS": "0",
        "group-MIN_NUM_FORMS": "0",
        "group-MAX_NUM_FORMS": "20",
    }
    for i, group in enumerate(groups):
        for key, value in group.items():
            data[f"group-{i}-{key}"] = value
    return data


def test_bulk_groups_sum_to_at_most_ten_thousand():
    group = {"country_iso": "US", "phone_number_type": "local", "strategy": "always"}
    formset = bulk_group_formset(2)(
        _bulk_post([{**group, "count_requested": "6000"}, {**group, "count_requested": "4001"}]),
        prefix="group",
    )
    assert not formset.is_valid()
    assert "10,000" in formset.non_form_errors()[0]


def test_a_bulk_group_is_sent_in_telnyx_shape_with_a_string_count():
    formset = bulk_group_formset(2)(
        _bulk_post(
            [
                {
                    "country_iso": "US",
                    "phone_number_type": "local",
                    "strategy": "never",
                    "count_requested": "25",
                    "administrative_area": "ca",
                    "national_destination_code": "415",
                    "contains": "77",
                },
                {"country_iso": "US", "phone_number_type": "local", "strategy": "always"},
            ]
        ),
        prefix="group",
    )
    assert formset.is_valid(), formset.errors
    groups = [f.as_ordering_group() for f in formset.forms if f.has_changed()]
    assert groups == [
        {
            "country_iso": "US",
            "count_requested": "25",
            "phone_number_type": "local",
            "strategy": "never",
            "administrative_area": "CA",
            "national_destination_code": "415",
            "phone_number": {"contains": "77"},
        }
    ]


def test_the_search_country_takes_a_name_or_a_code_and_refuses_anything_else():
    assert 'maxlength="2"' not in str(SearchForm()["country_code"])
    for typed in ("Germany", "germany", "de", " DE "):
        form = SearchForm({"country_code": typed})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["country_code"] == "DE"
    for typed in ("Narnia", "D1", "XX"):
        form = SearchForm({"country_code": typed})
        assert not form.is_valid()
        assert form.errors["country_code"] == [
            "Enter a country name or its two-letter code, e.g. Germany or DE."
        ]
