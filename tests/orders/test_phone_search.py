"""Admin search boxes find submissions, sub orders, numbers, orders and documents by a phone
number typed any way, including submissions that cover a whole sub order."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance.models import Document, Submission

from .factories import NumberOrderFactory, OrderedNumberFactory, SubNumberOrderFactory

pytestmark = pytest.mark.django_db

TYPED = ["+49 30 1234567", "0049 30 1234567", "030 1234567", "+49301234567", "1234567"]


@pytest.fixture
def held():
    sub = SubNumberOrderFactory(country_code="DE", number_order=NumberOrderFactory())
    number = OrderedNumberFactory(sub_order=sub, phone_number="+49301234567", country_code="DE")
    other = SubNumberOrderFactory(country_code="DE")
    OrderedNumberFactory(sub_order=other, phone_number="+49309999999", country_code="DE")
    whole = Submission.objects.create(sub_order=sub, values={})  # no number of its own
    Submission.objects.create(sub_order=other, values={})
    document = Document.objects.create(
        content_type="application/pdf", sha256="0" * 64, sub_order=sub
    )
    Document.objects.create(content_type="application/pdf", sha256="1" * 64, sub_order=other)
    return {"number": number, "sub": sub, "whole": whole, "document": document}


def changelist_pks(client, model: str, typed: str) -> set:
    response = client.get(reverse(f"admin:{model}_changelist"), {"q": typed})
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.parametrize("typed", TYPED)
def test_admin_finds_by_a_phone_number_in_any_format(maria_client, held, typed):
    assert changelist_pks(maria_client, "compliance_submission", typed) == {held["whole"].pk}
    assert changelist_pks(maria_client, "orders_subnumberorder", typed) == {held["sub"].pk}
    assert changelist_pks(maria_client, "orders_orderednumber", typed) == {held["number"].pk}
    assert changelist_pks(maria_client, "orders_numberorder", typed) == {
        held["sub"].number_order_id
    }
    assert changelist_pks(maria_client, "compliance_document", typed) == {held["document"].pk}


def test_other_searches_still_work(maria_client, held):
    sub = held["sub"]
    assert changelist_pks(maria_client, "orders_subnumberorder", sub.telnyx_id) == {sub.pk}
    assert changelist_pks(maria_client, "orders_subnumberorder", "+49 30 7777777") == set()
