"""Reply templates: extension request, corrected document, question about a requirement (by
name); the reply form fills from them without JavaScript too, sends nothing until "Send reply",
and the texts carry no personal value."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from compliance import reply_templates
from compliance.models import RequirementType, Submission
from orders.models import SubOrderComment

pytestmark = pytest.mark.django_db

ADDRESS, DOCUMENT, NAME = (str(uuid.UUID(int=i)) for i in (1, 2, 3))


@pytest.fixture(autouse=True)
def catalogue(db):
    for rid, name, kind in (
        (ADDRESS, "Business address", "address"),
        (DOCUMENT, "Proof of address", "document"),
        (NAME, "End user name", "textual"),
    ):
        RequirementType.objects.create(telnyx_id=rid, name=name, field_type=kind)


def thread(sub_order) -> str:
    return reverse("compliance:comments", args=[sub_order.public_id])


def test_the_three_templates_name_the_sub_order_and_its_numbers(sub_order):
    number = sub_order.numbers.get().phone_number
    by_key = {t.key: text for t, text in reply_templates.texts(sub_order)}
    assert set(by_key) == {"extension", "corrected", "question"}
    for text in by_key.values():
        assert sub_order.telnyx_id in text
    assert number in by_key["extension"] and number in by_key["corrected"]
    assert "[number of days]" in by_key["extension"] and "[reason]" in by_key["extension"]
    question = reply_templates.render(sub_order, "question", DOCUMENT)
    assert '"Proof of address"' in question and "{requirement}" not in question
    with pytest.raises(reply_templates.UnknownRequirement):
        reply_templates.render(sub_order, "question", str(uuid.uuid4()))
    with pytest.raises(KeyError):
        reply_templates.render(sub_order, "nonsense")


def test_requirements_are_offered_by_name(sub_order):
    assert reply_templates.requirements(sub_order) == [
        (ADDRESS, "Business address"),
        (NAME, "End user name"),
        (DOCUMENT, "Proof of address"),
    ]


def test_templates_carry_no_personal_value(sub_order, alice):
    Submission.objects.create(
        sub_order=sub_order,
        values={NAME: {"type": "textual", "value": "Hildegard Privatperson"}},
        submitted_by=alice,
    )
    everything = " ".join(text for _, text in reply_templates.texts(sub_order))
    everything += reply_templates.render(sub_order, "question", NAME)
    assert "Hildegard" not in everything and "alice" not in everything


def test_the_reply_form_offers_the_templates_and_a_static_script_fills_it(sub_order, alice_client):
    html = alice_client.get(thread(sub_order), HTTP_HX_REQUEST="true").content.decode()
    assert "data-reply-template" in html and "Corrected document attached" in html
    assert 'data-text="We have corrected' in html
    assert '<option value="' + DOCUMENT + '">Proof of address</option>' in html
    assert "<script" not in html  # the page loads static/js/reply_templates.js (CSP)
    page = reverse("compliance:sub-order", args=[sub_order.public_id])
    assert "js/reply_templates.js" in alice_client.get(page).content.decode()


def test_without_javascript_use_template_fills_the_reply_and_sends_nothing(sub_order, alice_client):
    response = alice_client.post(
        thread(sub_order),
        {"template": "question", "requirement": DOCUMENT, "use_template": "1", "body": ""},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Question about the requirement &quot;Proof of address&quot;" in html
    assert not SubOrderComment.objects.exists()
    # The same on a GET link.
    html = alice_client.get(thread(sub_order), {"template": "corrected"}).content.decode()
    assert "We have corrected the declined information" in html.split("<textarea", 1)[1]


def test_a_bad_template_or_requirement_says_so_and_changes_nothing(sub_order, alice_client):
    for data, message in (
        ({"template": "nonsense"}, "Choose a template."),
        (
            {"template": "question", "requirement": str(uuid.uuid4())},
            "Choose one of this sub order&#x27;s requirements.",
        ),
    ):
        response = alice_client.post(thread(sub_order), {**data, "use_template": "1"})
        assert response.status_code == 200 and message in response.content.decode()
    assert not SubOrderComment.objects.exists()


def test_people_without_fill_permission_get_no_templates(sub_order, olga_client):
    response = olga_client.post(thread(sub_order), {"template": "corrected", "use_template": "1"})
    assert response.status_code == 404
