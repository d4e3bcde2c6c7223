"""The search screen sends every Telnyx filter in the wrapped form and shows the results."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

CASES = [
    ({"phone_number_type": "local"}, "filter[phone_number_type]", "local"),
    ({"locality": "Chicago"}, "filter[locality]", "Chicago"),
    ({"administrative_area": "CA"}, "filter[administrative_area]", "CA"),
    ({"national_destination_code": "415"}, "filter[national_destination_code]", "415"),
    ({"starts_with": "41555"}, "filter[phone_number][starts_with]", "41555"),
    ({"contains": "77"}, "filter[phone_number][contains]", "77"),
    ({"ends_with": "9"}, "filter[phone_number][ends_with]", "9"),
    ({"features": ["sms", "voice"]}, "filter[features]", "sms,voice"),
    ({"best_effort": "true"}, "filter[best_effort]", "true"),
    ({"phone_number_type": "toll_free", "quickship": "true"}, "filter[quickship]", "true"),
    ({"reservable": "true"}, "filter[reservable]", "true"),
    ({"exclude_held_numbers": "true"}, "filter[exclude_held_numbers]", "true"),
    ({"limit": "3"}, "filter[limit]", "3"),
]


@pytest.mark.parametrize("filters, wire_name, wire_value", CASES)
def test_each_filter_reaches_telnyx_wrapped_and_results_are_shown(
    sandbox, alice_client, filters, wire_name, wire_value
):
    response = alice_client.get(
        reverse("orders:search"), {"country_code": "US", **filters}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    (request,) = sandbox.requests(path="/v2/available_phone_numbers")
    query = parse_qs(request["query"])
    assert query[wire_name] == [wire_value]
    assert query["filter[country_code]"] == ["US"]
    assert "shown" in html and "<html" not in html


def test_results_satisfy_the_pattern_and_show_prices(sandbox, alice_client):
    html = alice_client.get(
        reverse("orders:search"),
        {"country_code": "US", "national_destination_code": "415", "limit": 5},
    ).content.decode()
    assert html.count('name="phone_number" value="+1415') == 5
    assert "USD" in html


def test_an_invalid_combination_is_explained_without_asking_telnyx(sandbox, alice_client):
    html = alice_client.get(
        reverse("orders:search"), {"country_code": "DE", "best_effort": "true"}
    ).content.decode()
    assert "Best effort works for US and CA only." in html
    assert not sandbox.requests(path="/v2/available_phone_numbers")
