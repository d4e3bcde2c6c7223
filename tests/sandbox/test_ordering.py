"""Search, ordering (85000 and the split), sub orders, numbers, listing and cancelling."""

from __future__ import annotations

from tests.sandbox.conftest import Api, ref


def test_401_uses_the_telnyx_error_envelope(api: Api) -> None:
    response = api.get("/number_orders", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["code"] == "10009"
    assert error["title"] == "Authentication failed"
    assert error["meta"]["url"].endswith("/10009")
    assert api.get("/number_orders", headers={"Authorization": ""}).status_code == 401


def test_an_unsearched_number_is_refused_with_85000(api: Api) -> None:
    response = api.post(
        "/number_orders", json={"phone_numbers": [{"phone_number": "+12125550123"}]}
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["code"] == "85000"
    assert error["source"]["pointer"] == "/phone_numbers/0/phone_number"


def test_one_order_splits_into_one_sub_order_per_country_and_type(api: Api) -> None:
    de_local = api.search("DE", "local", 2)
    de_tf = api.search("DE", "toll_free", 1)
    fr_local = api.search("FR", "local", 1)
    order = api.order(de_local + de_tf + fr_local)
    assert order["status"] == "pending"
    assert order["phone_numbers_count"] == 4
    assert len(order["sub_number_orders_ids"]) == 3
    subs = [api.sub(s) for s in order["sub_number_orders_ids"]]
    assert sorted(
        (s["country_code"], s["phone_number_type"], s["phone_numbers_count"]) for s in subs
    ) == [("DE", "local", 2), ("DE", "toll_free", 1), ("FR", "local", 1)]
    assert all(s["order_request_id"] == order["id"] for s in subs)


def test_us_local_numbers_complete_by_themselves(api: Api, sandbox) -> None:
    order = api.order(api.search("US", "local", 2))
    assert order["status"] == "pending"
    sandbox.advance(5)
    done = api.ok(api.get(f"/number_orders/{order['id']}"))["data"]
    assert done["status"] == "success"
    assert {n["status"] for n in done["phone_numbers"]} == {"success"}
    assert api.sub(done["sub_number_orders_ids"][0])["status"] == "success"


def test_ordered_numbers_disappear_from_search(api: Api) -> None:
    numbers = api.search("US", "local", 3, locality="Denver")
    api.order(numbers[:1])
    again = api.search("US", "local", 50, locality="Denver")
    assert numbers[0] not in again
    assert numbers[1] in again


def test_orders_are_found_by_customer_reference(api: Api) -> None:
    reference = ref()
    order = api.order(api.search("US", "local", 1), customer_reference=reference)
    listed = api.ok(api.get("/number_orders", params={"filter[customer_reference]": reference}))
    assert [o["id"] for o in listed["data"]] == [order["id"]]
    assert listed["meta"]["total_results"] == 1
    # An unwrapped filter is ignored, as Telnyx ignores it.
    unwrapped = api.sandbox.http.get("/number_orders", params={"customer_reference": reference})
    assert unwrapped.json()["meta"]["total_results"] >= 1


def test_cancel_works_only_while_pending(api: Api, sandbox) -> None:
    order = api.order(api.search("GB", "local", 1))
    sub_id = order["sub_number_orders_ids"][0]
    cancelled = api.ok(api.patch(f"/sub_number_orders/{sub_id}/cancel"))["data"]
    assert cancelled["status"] == "cancelled"
    number = api.number(order["phone_numbers"][0]["id"])
    assert number["requirements_status"] == "cancelled"
    again = api.patch(f"/sub_number_orders/{sub_id}/cancel")
    assert again.status_code == 422
    assert api.ok(api.get(f"/number_orders/{order['id']}"))["data"]["status"] == "cancelled"


def test_lists_page_with_deep_and_flat_parameters_up_to_250(api: Api) -> None:
    for _ in range(3):
        api.order(api.search("US", "toll_free", 1))
    deep = api.ok(api.get("/number_orders", params={"page[size]": 2, "page[number]": 2}))
    assert deep["meta"]["page_size"] == 2 and deep["meta"]["page_number"] == 2
    assert len(deep["data"]) == 2
    assert deep["meta"]["total_pages"] == -(-deep["meta"]["total_results"] // 2)
    flat = api.unchecked.get("/number_orders", params={"page_size": 2, "page_number": 2})
    assert [o["id"] for o in flat.json()["data"]] == [o["id"] for o in deep["data"]]
    too_big = api.unchecked.get("/number_orders", params={"page[size]": 251})
    assert too_big.status_code == 400
    assert too_big.json()["errors"][0]["source"]["parameter"] == "page[size]"


def test_order_level_values_fan_out_to_the_sub_orders_that_need_them(api: Api) -> None:
    order = api.order(api.search("NL", "local", 1) + api.search("NL", "national", 1))
    subs = [api.sub(s) for s in order["sub_number_orders_ids"]]
    name_req = next(r for r in subs[0]["regulatory_requirements"] if r["field_type"] == "textual")
    updated = api.ok(
        api.patch(
            f"/number_orders/{order['id']}",
            json={
                "customer_reference": "renamed",
                "regulatory_requirements": [
                    {"requirement_id": name_req["requirement_id"], "field_value": "Acme B.V."}
                ],
            },
        )
    )["data"]
    assert updated["customer_reference"] == "renamed"
    for number in updated["phone_numbers"]:
        values = {
            r["requirement_id"]: r.get("field_value") for r in number["regulatory_requirements"]
        }
        assert values[name_req["requirement_id"]] == "Acme B.V."


def test_sub_order_embeds_at_most_50_numbers(api: Api) -> None:
    order = api.order(api.search("US", "local", 60, locality="New York"))
    sub = api.sub(order["sub_number_orders_ids"][0], include=True)
    assert sub["phone_numbers_count"] == 60
    assert len(sub["phone_numbers"]) == 50
    assert "phone_numbers" not in api.sub(order["sub_number_orders_ids"][0])
