"""Pre-flight warnings on the requirement form (issue 11): said before anything is sent, and
the person may submit anyway. Each warning has a warn and a not-warn case."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import preflight
from compliance.models import Document, RequirementType, Submission

from .helpers import form_data, submit, upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _warnings(response) -> str:
    html = response.content.decode()
    start = html.find('id="preflight-warnings"')
    return html[start : html.find("</div>", start)] if start >= 0 else ""


def _try(client, sub_order, **overrides):
    """Submit once without answering warnings: the page shows them, or the form is sent."""
    document_id = overrides.pop("document_id", None) or upload(client, sub_order)
    name = overrides.pop("name", "Acme Widgets GmbH")
    data = form_data(sub_order, document_id, name=name, **overrides)
    return submit(client, sub_order, data, anyway=False)


def test_a_city_that_is_not_the_numbers_area_is_warned_about(sandbox, alice_client, de_sub_order):
    number = de_sub_order.numbers.get().phone_number
    assert preflight.number_areas(number) & {"berlin"}, "the sandbox's first DE number is Berlin"
    response = _try(alice_client, de_sub_order, locality="Munich", postal_code="80331")
    assert response.status_code == 200
    text = _warnings(response)
    assert "The address is in Munich, but" in text and "manual review" in text
    assert not Submission.objects.exists()  # nothing sent


def test_a_city_matching_the_numbers_area_is_not_warned_about(sandbox, alice_client, de_sub_order):
    response = _try(alice_client, de_sub_order, locality="berlin")
    assert response.status_code == 302, _warnings(response)
    assert Submission.objects.count() == 1


def test_an_old_document_is_warned_about_and_a_recent_one_is_not(
    sandbox, alice_client, de_sub_order
):
    document_id = upload(alice_client, de_sub_order)
    Document.objects.filter(public_id=document_id).update(
        uploaded_at=timezone.now() - timedelta(days=120)
    )
    response = _try(alice_client, de_sub_order, document_id=document_id)
    assert "the requirement asks for one less than 3 months old" in _warnings(response)
    assert not Submission.objects.exists()
    Document.objects.filter(public_id=document_id).update(
        uploaded_at=timezone.now() - timedelta(days=20)
    )
    response = _try(alice_client, de_sub_order, document_id=document_id)
    assert response.status_code == 302, _warnings(response)


def test_an_end_user_name_not_on_the_address_is_warned_about(sandbox, alice_client, de_sub_order):
    response = _try(alice_client, de_sub_order, name="Globex Corporation")
    assert "“Globex Corporation” is not the name on the address" in _warnings(response)
    assert not Submission.objects.exists()


@pytest.mark.parametrize("name", ["acme widgets gmbh", "Jane Doe"])
def test_the_business_or_person_name_of_the_address_is_not_warned_about(
    sandbox, alice_client, de_sub_order, name
):
    response = _try(alice_client, de_sub_order, name=name)
    assert response.status_code == 302, _warnings(response)


def test_submit_anyway_sends_and_a_new_warning_after_a_correction_is_shown_again(
    sandbox, alice_client, de_sub_order
):
    document_id = upload(alice_client, de_sub_order)
    url = reverse("compliance:requirement-form", args=[de_sub_order.public_id])
    data = {**form_data(de_sub_order, document_id, name="Globex Corporation"), "action": "submit"}
    first = alice_client.post(url, data)
    assert "Submit anyway" in first.content.decode()
    # Another key (other warnings seen) does not let these through.
    assert alice_client.post(url, {**data, "warnings_seen": "locality:x"}).status_code == 200
    # The key the page carried: the same warnings were read, the values go.
    key = re.search(r'name="warnings_seen" value="([^"]*)"', first.content.decode()).group(1)
    moved = {**data, "warnings_seen": key}
    a = next(k for k in data if k.endswith("__locality"))
    moved[a] = "Munich"  # a correction that brings a different warning
    again = alice_client.post(url, moved)
    assert again.status_code == 200 and "The address is in Munich" in _warnings(again)
    assert not Submission.objects.exists()
    sent = alice_client.post(url, {**data, "warnings_seen": key})
    assert sent.status_code == 302
    assert Submission.objects.count() == 1


# -- the rules on their own ------------------------------------------------------------------


def _type(**criteria) -> RequirementType:
    return RequirementType(name="t", description="", acceptance_criteria=criteria)


def test_areas_ignore_accents_and_mobile_numbers_say_nothing():
    assert "zurich" in preflight.number_areas("+41445551234")
    assert preflight._plain("Zürich") == "zurich"
    assert preflight.number_areas("+41795551234") == set()  # mobile: the country only
    row = _type(locality_limit="Identical locality as the numbers desired")
    address = {"locality": "Zürich"}
    assert preflight.locality_warnings("r", row, address, ["+41445551234"]) == []
    assert preflight.locality_warnings("r", row, address, ["+41225551234"])  # Geneva
    national = _type(locality_limit="Within the country of the numbers desired")
    assert preflight.locality_warnings("r", national, address, ["+41225551234"]) == []


@pytest.mark.parametrize(
    ("limit", "days"),
    [
        ("Less than 3 months old", 93),
        ("Less than 6 months old", 186),
        ("less than 90 days old", 90),
        ("Current and not expired", None),
        ("", None),
    ],
)
def test_the_age_limit_is_read_from_the_acceptance_criteria(limit, days):
    found = preflight.age_limit(_type(time_limit=limit))
    assert found == (timedelta(days=days) if days else None)
