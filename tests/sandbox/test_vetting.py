"""Values, vetting by rule, comments, extensions, deadlines and auto-cancellation."""

from __future__ import annotations

from datetime import datetime

from tests.sandbox.conftest import Api


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _de_local_order(api: Api) -> tuple[dict, dict]:
    order = api.order(api.search("DE", "local", 2))
    return order, api.sub(order["sub_number_orders_ids"][0])


def test_de_local_needs_an_address_a_document_and_a_text(api: Api) -> None:
    _order, sub = _de_local_order(api)
    kinds = sorted(r["field_type"] for r in sub["regulatory_requirements"])
    assert kinds == ["address", "document", "textual"]


def test_new_numbers_with_requirements_get_a_deadline_72h_ahead(api: Api, sandbox) -> None:
    order, _sub = _de_local_order(api)
    number = api.number(order["phone_numbers"][0]["id"])
    assert number["requirements_status"] == "requirement-info-pending"
    hours = (_when(number["deadline"]) - sandbox.now()).total_seconds() / 3600
    assert 71.9 < hours <= 72


def test_complete_values_go_under_review_then_get_approved(api: Api, sandbox) -> None:
    order, sub = _de_local_order(api)
    api.ok(
        api.patch(
            f"/sub_number_orders/{sub['id']}", json={"regulatory_requirements": api.values_for(sub)}
        )
    )
    number = api.number(order["phone_numbers"][0]["id"])
    assert number["requirements_status"] == "requirement-info-under-review"
    assert number["deadline"] is None
    assert {r["status"] for r in number["regulatory_requirements"]} == {"pending-approval"}
    sandbox.advance(3)
    number = api.number(order["phone_numbers"][0]["id"])
    assert number["requirements_status"] == "approved"
    assert number["status"] == "success"
    assert api.sub(sub["id"])["status"] == "success"
    assert api.ok(api.get(f"/number_orders/{order['id']}"))["data"]["status"] == "success"


def test_a_value_containing_reject_is_declined_with_comment_and_new_deadline(
    api: Api, sandbox
) -> None:
    order, sub = _de_local_order(api)
    api.ok(
        api.patch(
            f"/sub_number_orders/{sub['id']}",
            json={"regulatory_requirements": api.values_for(sub, reject="textual")},
        )
    )
    sandbox.advance(3)
    number = api.number(order["phone_numbers"][0]["id"])
    assert number["requirements_status"] == "requirement-info-exception"
    statuses = {r["field_type"]: r["status"] for r in number["regulatory_requirements"]}
    assert statuses == {"address": "approved", "document": "approved", "textual": "declined"}
    hours = (_when(number["deadline"]) - sandbox.now()).total_seconds() / 3600
    assert 71.9 < hours <= 72
    comments = api.ok(
        api.get(
            "/comments",
            params={
                "filter[comment_record_type]": "sub_number_order",
                "filter[comment_record_id]": sub["id"],
            },
        )
    )["data"]
    admin = [c for c in comments if c["commenter_type"] == "admin"]
    assert len(admin) == 1
    assert "End user name" in admin[0]["body"]
    assert admin[0]["read_at"] is None


def test_reject_in_a_document_filename_or_an_address_field_is_declined(api: Api, sandbox) -> None:
    for spoil in ("document", "address"):
        order, sub = _de_local_order(api)
        api.ok(
            api.patch(
                f"/sub_number_orders/{sub['id']}",
                json={"regulatory_requirements": api.values_for(sub, reject=spoil)},
            )
        )
        sandbox.advance(3)
        number = api.number(order["phone_numbers"][0]["id"])
        declined = [
            r["field_type"] for r in number["regulatory_requirements"] if r["status"] == "declined"
        ]
        assert declined == [spoil]


def test_fixing_one_number_resubmits_only_that_number(api: Api, sandbox) -> None:
    order, sub = _de_local_order(api)
    api.ok(
        api.patch(
            f"/sub_number_orders/{sub['id']}",
            json={"regulatory_requirements": api.values_for(sub, reject="textual")},
        )
    )
    sandbox.advance(3)
    first, second = (n["id"] for n in order["phone_numbers"])
    textual = next(r for r in sub["regulatory_requirements"] if r["field_type"] == "textual")
    fixed = api.ok(
        api.patch(
            f"/number_order_phone_numbers/{first}",
            json={
                "regulatory_requirements": [
                    {
                        "requirement_id": textual["requirement_id"],
                        "field_value": "Acme Widgets GmbH",
                    }
                ]
            },
        )
    )["data"]
    assert fixed["requirements_status"] == "requirement-info-under-review"
    sandbox.advance(3)
    assert api.number(first)["requirements_status"] == "approved"
    assert api.number(second)["requirements_status"] == "requirement-info-exception"
    assert api.sub(sub["id"])["status"] == "pending"


def test_the_deadline_passing_cancels_the_sub_order(api: Api, sandbox) -> None:
    order, sub = _de_local_order(api)
    sandbox.advance(71 * 3600)
    assert api.sub(sub["id"])["status"] == "pending"
    sandbox.advance(2 * 3600)
    assert api.sub(sub["id"])["status"] == "cancelled"
    number = api.number(order["phone_numbers"][0]["id"])
    assert number["requirements_status"] == "cancelled"
    assert api.ok(api.get(f"/number_orders/{order['id']}"))["data"]["status"] == "cancelled"


def test_a_comment_asking_to_extend_moves_the_deadline(api: Api, sandbox) -> None:
    order, sub = _de_local_order(api)
    before = _when(api.number(order["phone_numbers"][0]["id"])["deadline"])
    api.ok(
        api.post(
            "/comments",
            json={
                "body": "Could you please extend the deadline? The customer is travelling.",
                "comment_record_type": "sub_number_order",
                "comment_record_id": sub["id"],
            },
        )
    )
    after = _when(api.number(order["phone_numbers"][0]["id"])["deadline"])
    assert (after - before).total_seconds() == 72 * 3600
    thread = api.ok(
        api.get(
            "/comments",
            params={
                "filter[comment_record_type]": "sub_number_order",
                "filter[comment_record_id]": sub["id"],
            },
        )
    )["data"]
    assert [c["commenter_type"] for c in thread] == ["user", "admin"]
    sandbox.advance(100 * 3600)
    assert api.sub(sub["id"])["status"] == "pending"
    sandbox.advance(50 * 3600)
    assert api.sub(sub["id"])["status"] == "cancelled"


def test_comments_can_be_read_and_fetched(api: Api) -> None:
    _order, sub = _de_local_order(api)
    created = api.ok(
        api.post(
            "/comments",
            json={
                "body": "Hello",
                "comment_record_type": "sub_number_order",
                "comment_record_id": sub["id"],
            },
        )
    )["data"]
    assert created["commenter_type"] == "user"
    read = api.ok(api.patch(f"/comments/{created['id']}/read"))["data"]
    assert read["read_at"] is not None
    assert api.ok(api.get(f"/comments/{created['id']}"))["data"]["read_at"] == read["read_at"]
    assert api.get("/comments/00000000-0000-4000-8000-000000000000").status_code == 404
    bad = api.post(
        "/comments",
        json={
            "body": "x",
            "comment_record_type": "sub_number_order",
            "comment_record_id": "00000000-0000-4000-8000-000000000000",
        },
    )
    assert bad.status_code == 422


def test_address_values_must_be_address_ids_not_text(api: Api) -> None:
    _order, sub = _de_local_order(api)
    address = next(r for r in sub["regulatory_requirements"] if r["field_type"] == "address")
    response = api.patch(
        f"/sub_number_orders/{sub['id']}",
        json={
            "regulatory_requirements": [
                {
                    "requirement_id": address["requirement_id"],
                    "field_value": "Friedrichstr. 68, Berlin",
                }
            ]
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"].endswith("/field_value")


def test_group_mandatory_countries_refuse_orders_without_a_group(api: Api, sandbox) -> None:
    for country in ("CH", "DK", "IT", "NO", "PT", "SE"):
        numbers = api.search(country, "local", 1)
        response = api.post(
            "/number_orders", json={"phone_numbers": [{"phone_number": numbers[0]}]}
        )
        assert response.status_code == 422, country
        assert "requirement group" in response.json()["errors"][0]["detail"]


def test_a_fulfilled_group_lets_a_ch_order_through_and_fills_the_values(api: Api, sandbox) -> None:
    reqs = api.ok(
        api.get(
            "/regulatory_requirements",
            params={"filter[country_code]": "CH", "filter[phone_number_type]": "local"},
        )
    )["data"][0]
    fake_sub = {
        "regulatory_requirements": [
            {
                "requirement_id": r["id"],
                "field_type": "address" if r["field_type"] == "address_id" else r["field_type"],
            }
            for r in reqs["regulatory_requirements"]
        ]
    }
    group = api.ok(
        api.post(
            "/requirement_groups",
            json={
                "country_code": "CH",
                "phone_number_type": "local",
                "action": "ordering",
                "regulatory_requirements": api.values_for(fake_sub),
            },
        )
    )
    numbers = api.search("CH", "local", 1)
    order = api.order([{"phone_number": numbers[0], "requirement_group_id": group["id"]}])
    number = api.number(order["phone_numbers"][0]["id"])
    assert number["requirements_status"] == "requirement-info-under-review"
    sandbox.advance(3)
    assert api.number(number["id"])["requirements_status"] == "approved"


def test_values_breaking_the_acceptance_criteria_are_declined(api: Api, sandbox) -> None:
    order = api.order(api.search("AU", "mobile", 1))
    sub = api.sub(order["sub_number_orders_ids"][0])
    values = api.values_for(sub)
    for value in values:
        if (
            next(
                r
                for r in sub["regulatory_requirements"]
                if r["requirement_id"] == value["requirement_id"]
            )["field_type"]
            == "datetime"
        ):
            value["field_value"] = "last spring"
    api.ok(api.patch(f"/sub_number_orders/{sub['id']}", json={"regulatory_requirements": values}))
    sandbox.advance(3)
    number = api.number(order["phone_numbers"][0]["id"])
    declined = [
        r["field_type"] for r in number["regulatory_requirements"] if r["status"] == "declined"
    ]
    assert declined == ["datetime"]
    comment = api.ok(
        api.get(
            "/comments",
            params={
                "filter[comment_record_type]": "sub_number_order",
                "filter[comment_record_id]": sub["id"],
            },
        )
    )["data"][-1]
    assert "ISO 8601" in comment["body"]
