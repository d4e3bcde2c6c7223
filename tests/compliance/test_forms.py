"""The requirement form: one field per requirement, checked against its acceptance criteria."""

from __future__ import annotations

import uuid

import pytest

from compliance.catalogue import normalise_criteria
from compliance.forms import RequirementForm, criteria_errors, data_from_values, prefix_for
from compliance.models import Document, RequirementType, SavedAddress

pytestmark = pytest.mark.django_db

TEXT, DATE, ADDR, DOC = (str(uuid.uuid4()) for _ in range(4))
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _types(**criteria):
    return {
        TEXT: RequirementType.objects.create(
            telnyx_id=TEXT,
            name="Company registration number",
            field_type="textual",
            acceptance_criteria=normalise_criteria(criteria),
        ),
        DATE: RequirementType.objects.create(
            telnyx_id=DATE, name="Date of birth", field_type="datetime"
        ),
        ADDR: RequirementType.objects.create(telnyx_id=ADDR, name="Address", field_type="address"),
        DOC: RequirementType.objects.create(telnyx_id=DOC, name="Proof", field_type="document"),
    }


REQUIREMENTS = [
    {"requirement_id": TEXT, "field_type": "textual"},
    {"requirement_id": DATE, "field_type": "datetime"},
    {"requirement_id": ADDR, "field_type": "address"},
    {"requirement_id": DOC, "field_type": "document"},
]


@pytest.fixture
def document(db):
    return Document.objects.create(
        content_type="application/pdf", sha256="0" * 64, storage_name="a" * 32
    )


def _form(data, types, document=None, partial=False, declined=()):
    return RequirementForm(
        data,
        requirements=REQUIREMENTS,
        types=types,
        declined=set(declined),
        documents=Document.objects.all(),
        addresses=SavedAddress.objects.all(),
        partial=partial,
    )


def _valid_data(document):
    a = prefix_for(ADDR)
    return {
        prefix_for(TEXT): "HRB 12345",
        prefix_for(DATE): "1985-12-10",
        f"{a}__first_name": "Jane",
        f"{a}__last_name": "Doe",
        f"{a}__business_name": "Acme GmbH",
        f"{a}__street_address": "Friedrichstrasse 68",
        f"{a}__locality": "Berlin",
        f"{a}__postal_code": "10117",
        f"{a}__country_code": "de",
        prefix_for(DOC): str(document.public_id),
    }


@pytest.mark.parametrize(
    ("value", "criteria", "message"),
    [
        ("HRB1", {"min_length": 5}, "at least 5 characters"),
        ("HRB 123456789012345678", {"max_length": "20"}, "at most 20 characters"),
        ("HRB_12345", {"acceptable_characters": ALNUM + " -"}, "'_'"),
        ("Spam", {"acceptable_values": ["Customer support", "Marketing"]}, "Choose one of"),
        ("12-AB", {"regex": r"\d{5}", "case_sensitive": True}, "expected format"),
    ],
    ids=["min_length", "max_length", "acceptable_characters", "acceptable_values", "regex"],
)
def test_each_acceptance_criterion_is_checked_before_anything_is_sent(value, criteria, message):
    errors = criteria_errors(value, normalise_criteria(criteria))
    assert any(message in e for e in errors), errors


def test_values_that_meet_the_criteria_pass():
    criteria = normalise_criteria(
        {"min_length": "5", "max_length": 20, "acceptable_characters": ALNUM + " -"}
    )
    assert criteria_errors("hrb 12345", criteria) == []  # characters compare case-insensitively
    assert (
        criteria_errors("marketing", normalise_criteria({"acceptable_values": ["Marketing"]})) == []
    )


def test_a_complete_form_yields_value_descriptors_and_saves_the_new_address(document, alice):
    form = _form(_valid_data(document), _types(min_length=5, acceptable_characters=ALNUM + " "))
    assert form.is_valid(), form.errors
    values = form.values(user=alice)
    assert values[TEXT] == {"type": "textual", "value": "HRB 12345"}
    assert values[DATE] == {"type": "datetime", "value": "1985-12-10"}
    assert values[DOC] == {"type": "document", "document": str(document.public_id)}
    address = SavedAddress.objects.get(public_id=values[ADDR]["address"])
    assert address.fields["country_code"] == "DE"
    assert address.fields["locality"] == "Berlin"


def test_a_textual_value_breaking_the_criteria_is_an_error_next_to_its_field(document):
    data = _valid_data(document) | {prefix_for(TEXT): "H_1"}
    form = _form(data, _types(min_length=5, acceptable_characters=ALNUM + " "))
    assert not form.is_valid()
    errors = " ".join(form.errors[prefix_for(TEXT)])
    assert "at least 5 characters" in errors
    assert "'_'" in errors


def test_an_address_needs_the_fields_telnyx_requires(document):
    a = prefix_for(ADDR)
    data = _valid_data(document) | {f"{a}__business_name": "", f"{a}__country_code": "D1"}
    form = _form(data, _types())
    assert not form.is_valid()
    assert form.errors[f"{a}__business_name"] == ["Business name is required."]
    assert "two-letter code" in form.errors[f"{a}__country_code"][0]


def test_a_country_typed_by_name_is_kept_whole_and_stored_as_its_code(document, alice):
    a = prefix_for(ADDR)
    types = _types()
    form = _form(_valid_data(document) | {f"{a}__country_code": "Germany"}, types)
    # The box no longer cuts "Germany" to "Ge" (Georgia) as the user types.
    assert 'maxlength="2"' not in str(form[f"{a}__country_code"])
    assert form.is_valid(), form.errors
    address = SavedAddress.objects.get(public_id=form.values(user=alice)[ADDR]["address"])
    assert address.fields["country_code"] == "DE"
    refused = _form(_valid_data(document) | {f"{a}__country_code": "Narnia"}, types)
    assert not refused.is_valid()
    assert refused.errors[f"{a}__country_code"] == [
        "Enter a country name or its two-letter code, e.g. Germany or DE."
    ]


def test_a_saved_address_can_be_chosen_instead(document, alice):
    saved = SavedAddress.objects.create(label="HQ", fields={"locality": "Berlin"})
    a = prefix_for(ADDR)
    data = {k: v for k, v in _valid_data(document).items() if not k.startswith(f"{a}__")}
    data[f"{a}__saved"] = str(saved.public_id)
    form = _form(data, _types())
    assert form.is_valid(), form.errors
    assert form.values(user=alice)[ADDR] == {"type": "address", "address": str(saved.public_id)}
    assert SavedAddress.objects.count() == 1


def test_a_deleted_or_unknown_document_is_refused(document):
    data = _valid_data(document) | {prefix_for(DOC): str(uuid.uuid4())}
    form = _form(data, _types())
    assert not form.is_valid()
    assert "Upload the document again" in form.errors[prefix_for(DOC)][0]


def test_an_invalid_date_is_refused(document):
    form = _form(_valid_data(document) | {prefix_for(DATE): "10/12/85"}, _types())
    assert not form.is_valid()
    assert prefix_for(DATE) in form.errors


def test_every_requirement_needs_a_value_to_submit_but_not_for_a_draft(document):
    types = _types()
    assert not _form({}, types).is_valid()
    draft = _form({prefix_for(TEXT): "HRB 1"}, types, partial=True)
    assert draft.is_valid(), draft.errors
    assert draft.draft_data() == {prefix_for(TEXT): "HRB 1"}


def test_stored_values_prefill_the_form_and_declined_fields_are_marked(document, alice):
    form = _form(_valid_data(document), _types())
    assert form.is_valid()
    values = form.values(user=alice)
    types = RequirementType.objects.in_bulk(field_name="telnyx_id")
    again = _form(data_from_values(values), types, declined={TEXT})
    assert again.is_valid(), again.errors
    assert again.values(user=alice) == values
    assert [s["declined"] for s in again.sections] == [True, False, False, False]


def test_catalogue_shapes_are_normalised():
    criteria = normalise_criteria({"min_length": "3", "max_length": 10, "acceptable_values": "X"})
    assert criteria["min_length"] == 3
    assert criteria["max_length"] == 10
    assert criteria["acceptable_values"] == ["X"]
    from compliance.catalogue import normalise_field_type

    assert normalise_field_type("address_id") == "address"


def test_an_action_requirement_needs_no_value(document, alice):
    action = str(uuid.uuid4())
    RequirementType.objects.create(telnyx_id=action, name="ID check", field_type="action")
    form = RequirementForm(
        {},
        requirements=[{"requirement_id": action, "field_type": "action"}],
        types=RequirementType.objects.in_bulk(field_name="telnyx_id"),
    )
    assert form.is_valid(), form.errors
    assert form.values(user=alice) == {}
    assert form.sections[0]["kind"] == "action"
