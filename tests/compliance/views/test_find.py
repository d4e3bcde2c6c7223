"""The search box: one match opens, several are listed, the text never goes into a URL
(P41), the answer is not cached (P42), bad input is a 400 form error (P53)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance.models import Submission
from tests.fixtures.people import signed_in_client
from tests.orders.factories import NumberOrderFactory, OrderedNumberFactory, SubNumberOrderFactory

pytestmark = pytest.mark.django_db


def de_number(e164: str):
    sub = SubNumberOrderFactory(country_code="DE", number_order=NumberOrderFactory())
    return OrderedNumberFactory(sub_order=sub, phone_number=e164, country_code="DE")


def test_one_match_opens_its_page(alice_client):
    number = de_number("+49301234567")
    response = alice_client.post(reverse("find"), {"q": "+49 30 123 4567"})
    assert response.status_code == 302
    assert response["Location"] == number.number_order.get_absolute_url()


def test_several_matches_are_listed_and_the_name_stays_out_of_urls(alice, alice_client):
    first, second = de_number("+49301234567"), de_number("+49301234568")
    for number in (first, second):
        Submission.objects.create(
            sub_order=number.sub_order,
            values={"r": {"type": "textual", "value": "Erika Mustermann"}},
            submitted_by=alice,
        )
    response = alice_client.post(reverse("find"), {"q": "mustermann erika"})
    assert response.status_code == 200
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    assert len(response.context["found"].hits) == 2
    body = response.content.decode()
    for number in (first, second):
        assert reverse("compliance:sub-order", args=[number.sub_order.public_id]) in body
    assert "mustermann" not in response.request["PATH_INFO"].lower()
    assert "Mustermann" not in body.split('id="find-results"')[1]  # results show ids only


def test_a_national_number_asks_for_its_country_then_finds_it(alice_client):
    number = de_number("+49301234567")
    # With no DE number held yet... there is one now, so the held countries are tried first.
    response = alice_client.post(reverse("find"), {"q": "030 1234567"})
    assert response["Location"] == number.number_order.get_absolute_url()
    response = alice_client.post(reverse("find"), {"q": "0212 1234567"})
    assert response.status_code == 200
    assert b"choose its country" in response.content or b"Nothing found" in response.content
    response = alice_client.post(reverse("find"), {"q": "030 1234567", "country": "DE"})
    assert response["Location"] == number.number_order.get_absolute_url()


def test_nothing_found_says_so(alice_client):
    response = alice_client.post(reverse("find"), {"q": "+49 30 7654321"})
    assert response.status_code == 200
    assert b"Nothing found for +49307654321" in response.content


@pytest.mark.parametrize(
    "data", [{}, {"q": ""}, {"q": "x" * 201}, {"q": "Müller", "country": "XX"}]
)
def test_p53_bad_input_is_a_form_error(alice_client, data):
    response = alice_client.post(reverse("find"), data)
    assert response.status_code == 400
    assert b"field-error" in response.content


def test_p36_the_search_form_needs_its_csrf_token(alice):
    client = signed_in_client(alice, enforce_csrf_checks=True)
    assert client.post(reverse("find"), {"q": "+49 30 1234567"}).status_code == 403
    page = client.get(reverse("orders:list"))
    assert b'action="/find/"' in page.content  # the box is in the navigation
    token = page.cookies["csrftoken"].value
    response = client.post(reverse("find"), {"q": "+49 30 1234567", "csrfmiddlewaretoken": token})
    assert response.status_code == 200


def test_p34_an_outsider_has_no_box_and_finds_nothing(olga_client):
    number = de_number("+49301234567")
    assert b'action="/find/"' not in olga_client.get(reverse("home")).content
    response = olga_client.post(reverse("find"), {"q": number.number_order.telnyx_id})
    assert response.status_code == 200
    assert response.context["found"].hits == []
