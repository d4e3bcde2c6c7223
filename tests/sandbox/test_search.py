"""``/available_phone_numbers`` and ``/available_phone_number_blocks``: every filter."""

from __future__ import annotations

from portal.sandbox.inventory import COUNTRIES
from tests.sandbox.conftest import Api


def _search(api: Api, **filters) -> dict:
    params = {}
    for key, value in filters.items():
        if isinstance(value, dict):
            params.update({f"filter[{key}][{k}]": v for k, v in value.items()})
        else:
            params[f"filter[{key}]"] = value
    return api.ok(api.get("/available_phone_numbers", params=params))


def test_at_least_fourteen_countries_have_inventory(api: Api) -> None:
    required = {"US", "CA", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "CH", "AU", "BR", "MX", "JP"}
    assert required <= set(COUNTRIES)
    for country in sorted(required):
        data = _search(api, country_code=country, limit=1)["data"]
        assert data and data[0]["region_information"][0]["region_name"] == country


def test_result_shape_has_string_costs_and_feature_objects(api: Api) -> None:
    number = _search(api, country_code="US", limit=1)["data"][0]
    assert number["record_type"] == "available_phone_number"
    assert isinstance(number["cost_information"]["monthly_cost"], str)
    assert all(set(f) == {"name"} for f in number["features"])


def test_type_locality_state_and_ndc_filters(api: Api) -> None:
    tf = _search(api, country_code="US", phone_number_type="toll_free", limit=5)["data"]
    assert tf and all(n["phone_number"][2:5] in ("800", "833", "844", "888") for n in tf)
    austin = _search(api, country_code="US", locality="Austin", limit=5)["data"]
    assert austin and all(n["phone_number"].startswith("+1512") for n in austin)
    colorado = _search(api, country_code="US", administrative_area="CO", limit=50)["data"]
    assert {n["phone_number"][2:5] for n in colorado} <= {"303", "970"}
    ndc = _search(api, country_code="DE", national_destination_code="30", limit=5)["data"]
    assert ndc and all(n["phone_number"].startswith("+4930") for n in ndc)


def test_pattern_filters_exclude_the_ndc_when_it_is_given(api: Api) -> None:
    starts = _search(
        api,
        country_code="US",
        national_destination_code="212",
        phone_number={"starts_with": "2"},
        limit=10,
    )["data"]
    assert starts and all(n["phone_number"].startswith("+12122") for n in starts)
    ends = _search(api, country_code="US", phone_number={"ends_with": "7"}, limit=10)["data"]
    assert ends and all(n["phone_number"].endswith("7") for n in ends)
    contains = _search(api, country_code="GB", phone_number={"contains": "55"}, limit=10)["data"]
    assert contains and all("55" in n["phone_number"][3:] for n in contains)
    wildcard = _search(api, country_code="US", phone_number={"starts_with": "2*"})
    assert wildcard["data"] == []


def test_features_filter_in_both_encodings(api: Api) -> None:
    comma = api.ok(
        api.get(
            "/available_phone_numbers",
            params={
                "filter[country_code]": "US",
                "filter[features]": "fax,hd_voice",
                "filter[limit]": 5,
            },
        )
    )
    assert comma["data"]
    for number in comma["data"]:
        names = {f["name"] for f in number["features"]}
        assert {"fax", "hd_voice"} <= names
    brackets = api.sandbox.http.get(
        "/available_phone_numbers",
        params=[
            ("filter[country_code]", "US"),
            ("filter[features][]", "fax"),
            ("filter[limit]", "5"),
        ],
    )
    assert all("fax" in {f["name"] for f in n["features"]} for n in brackets.json()["data"])


def test_limit_quickship_reservable_and_held_filters(api: Api) -> None:
    assert len(_search(api, country_code="US", limit=7)["data"]) == 7
    quick = _search(
        api, country_code="US", phone_number_type="toll_free", quickship="true", limit=20
    )["data"]
    assert quick and all(n["quickship"] for n in quick)
    reservable = _search(api, country_code="DE", reservable="true", limit=20)["data"]
    assert reservable and all(n["reservable"] for n in reservable)
    everything = _search(api, country_code="US", locality="Miami", limit=400)["data"]
    unheld = _search(
        api, country_code="US", locality="Miami", exclude_held_numbers="true", limit=400
    )["data"]
    assert len(unheld) < len(everything)


def test_best_effort_fills_up_with_near_matches_in_us_only(api: Api) -> None:
    exact = _search(
        api, country_code="US", locality="Boston", phone_number={"ends_with": "00"}, limit=30
    )
    result = _search(
        api,
        country_code="US",
        locality="Boston",
        phone_number={"ends_with": "00"},
        best_effort="true",
        limit=30,
    )
    assert len(result["data"]) == 30
    assert result["meta"]["best_effort_results"] == 30 - len(exact["data"])
    assert any(n["best_effort"] for n in result["data"])
    de = _search(
        api,
        country_code="DE",
        locality="Berlin",
        phone_number={"ends_with": "00"},
        best_effort="true",
        limit=30,
    )
    assert de["meta"]["best_effort_results"] == 0


def test_country_code_is_required_and_unknown_types_are_refused(api: Api) -> None:
    assert api.get("/available_phone_numbers").status_code == 400
    response = api.unchecked.get(
        "/available_phone_numbers",
        params={"filter[country_code]": "US", "filter[phone_number_type]": "premium"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["parameter"] == "filter[phone_number_type]"


def test_blocks_search_and_block_order(api: Api, sandbox) -> None:
    blocks = api.ok(
        api.get(
            "/available_phone_number_blocks",
            params={"filter[country_code]": "US", "filter[locality]": "New York"},
        )
    )
    assert blocks["meta"]["total_results"] == len(blocks["data"]) > 0
    block = blocks["data"][0]
    assert block["record_type"] == "available_phone_number_block"
    order = api.ok(
        api.post(
            "/number_block_orders",
            json={"starting_number": block["phone_number"], "range": block["range"]},
        )
    )["data"]
    assert order["status"] == "pending"
    assert order["phone_numbers_count"] == block["range"]
    sandbox.advance(5)
    done = api.ok(api.get(f"/number_block_orders/{order['id']}"))["data"]
    assert done["status"] == "success"
    subs = api.ok(
        api.get("/sub_number_orders", params={"filter[phone_numbers_count]": block["range"]})
    )["data"]
    assert any(s["is_block_sub_number_order"] for s in subs)
    listed = api.ok(
        api.get(
            "/number_block_orders",
            params={"filter[phone_numbers.starting_number]": block["phone_number"]},
        )
    )
    assert [b["id"] for b in listed["data"]] == [order["id"]]
    again = api.post(
        "/number_block_orders",
        json={"starting_number": block["phone_number"], "range": block["range"]},
    )
    assert again.status_code == 422
    unsearched = api.post(
        "/number_block_orders", json={"starting_number": "+12125550000", "range": 10}
    )
    assert unsearched.json()["errors"][0]["code"] == "85000"
