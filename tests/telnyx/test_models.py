"""Typed models keep unknown fields and unknown enum values (Telnyx adds them undocumented)."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.telnyx.models import (
    AcceptanceCriteria,
    Comment,
    InexplicitNumberOrder,
    NumberOrder,
    NumberOrderPhoneNumber,
    RequirementGroup,
    SubNumberOrder,
)


def test_an_unknown_status_and_unknown_fields_are_kept():
    order = NumberOrder.model_validate(
        {
            "id": "o1",
            "status": "cancelled",
            "sub_number_orders_ids": ["s1", "s2"],
            "brand_new_field": {"x": 1},
            "phone_numbers": [{"id": "n1", "phone_number": "+4930123", "status": "deleted"}],
        }
    )
    assert order.status == "cancelled"
    assert order.sub_number_orders_ids == ["s1", "s2"]
    assert order.brand_new_field == {"x": 1}
    assert order.get("brand_new_field") == {"x": 1}
    assert order.phone_numbers[0].status == "deleted"


def test_per_requirement_status_and_deadline_are_read_from_a_number():
    number = NumberOrderPhoneNumber.model_validate(
        {
            "id": "n1",
            "requirements_status": "requirement-info-exception",
            "deadline": "2026-12-01T10:00:00+01:00",
            "regulatory_requirements": [
                {"requirement_id": "r1", "field_type": "address", "field_value": 129338},
                {"requirement_id": "r2", "field_type": "document", "status": "declined"},
            ],
        }
    )
    assert number.deadline == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert number.regulatory_requirements[0].field_value == "129338"
    assert number.regulatory_requirements[1].status == "declined"


def test_timestamps_in_z_offset_or_naive_form_become_utc_and_garbage_becomes_none():
    base = {"id": "c1", "commenter_type": "admin"}
    z = Comment.model_validate({**base, "created_at": "2026-11-27T02:00:00.123456Z"})
    naive = Comment.model_validate({**base, "created_at": "2026-11-27T02:00:00"})
    bad = Comment.model_validate({**base, "created_at": "20266-13-45T99:00:00Z"})
    assert z.created_at.tzinfo is UTC
    assert naive.created_at == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    assert bad.created_at is None
    assert bad.is_unread_admin


def test_sub_order_requirements_list_and_embedded_numbers():
    sub = SubNumberOrder.model_validate(
        {
            "id": "s1",
            "status": "pending",
            "regulatory_requirements": [
                {"requirement_id": "r1", "field_type": "action", "record_type": "x"}
            ],
            "phone_numbers": [{"id": "n1", "requirements_status": "approved"}],
        }
    )
    assert sub.regulatory_requirements[0].field_type == "action"
    assert sub.phone_numbers[0].requirements_status == "approved"


def test_acceptance_lengths_as_int_or_string_are_both_read():
    assert AcceptanceCriteria.model_validate({"max_length": 10}).max_length == "10"
    assert AcceptanceCriteria.model_validate({"max_length": "10"}).max_length == "10"


def test_bulk_ordering_groups_read_the_flat_phone_number_keys():
    order = InexplicitNumberOrder.model_validate(
        {
            "id": "b1",
            "ordering_groups": [
                {
                    "count_requested": 5,
                    "count_allocated": 3,
                    "status": "partial_success",
                    "phone_number[starts_with]": "415",
                    "orders": [{"number_order_id": "o1", "sub_number_order_ids": ["s1"]}],
                }
            ],
        }
    )
    group = order.ordering_groups[0]
    assert group.phone_number_starts_with == "415"
    assert group.status == "partial_success"
    assert group.orders[0].sub_number_order_ids == ["s1"]


def test_a_group_status_missing_from_the_spec_is_accepted():
    group = RequirementGroup.model_validate({"id": "g", "status": "no-longer-eligible"})
    assert group.status == "no-longer-eligible"
