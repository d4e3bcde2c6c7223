"""Bulk (inexplicit) orders, reservations and the sub number orders CSV report."""

from __future__ import annotations

import csv
import io

from tests.sandbox.conftest import Api, ref


def test_bulk_order_partial_success_and_strategy_never(api: Api, sandbox) -> None:
    body = {
        "customer_reference": ref(),
        "ordering_groups": [
            {
                "country_iso": "US",
                "phone_number_type": "local",
                "count_requested": "3",
                "locality": "Seattle",
            },
            {
                "country_iso": "US",
                "phone_number_type": "local",
                "count_requested": "1000",
                "locality": "Phoenix",
                "strategy": "always",
            },
            {
                "country_iso": "CA",
                "phone_number_type": "local",
                "count_requested": "900",
                "strategy": "never",
            },
        ],
    }
    created = api.ok(api.post("/inexplicit_number_orders", json=body))["data"]
    assert "status" not in created
    assert [g["status"] for g in created["ordering_groups"]] == ["pending"] * 3
    assert created["ordering_groups"][0]["count_requested"] == 3
    sandbox.tick()
    done = api.ok(api.get(f"/inexplicit_number_orders/{created['id']}"))["data"]
    seattle, phoenix, canada = done["ordering_groups"]
    assert (seattle["status"], seattle["count_allocated"]) == ("success", 3)
    assert phoenix["status"] == "partial_success"
    assert 0 < phoenix["count_allocated"] < 1000
    assert phoenix["error_reason"]
    assert (canada["status"], canada["count_allocated"]) == ("failed", 0)
    order_id = phoenix["orders"][0]["number_order_id"]
    order = api.ok(api.get(f"/number_orders/{order_id}"))["data"]
    assert order["phone_numbers_count"] == phoenix["count_allocated"]
    assert phoenix["orders"][0]["sub_number_order_ids"] == order["sub_number_orders_ids"]
    listed = api.ok(
        api.get("/inexplicit_number_orders", params={"page_number": 1, "page_size": 250})
    )
    assert created["id"] in [r["id"] for r in listed["data"]]


def test_bulk_orders_are_limited_to_10000_numbers(api: Api) -> None:
    response = api.post(
        "/inexplicit_number_orders",
        json={
            "ordering_groups": [
                {"country_iso": "US", "phone_number_type": "local", "count_requested": "10001"}
            ]
        },
    )
    assert response.status_code == 422
    gb = api.unchecked.post(
        "/inexplicit_number_orders",
        json={
            "ordering_groups": [
                {"country_iso": "GB", "phone_number_type": "local", "count_requested": "1"}
            ]
        },
    )
    assert gb.status_code in (400, 422)


def test_reservations_hold_numbers_for_30_minutes_and_can_be_extended(api: Api, sandbox) -> None:
    numbers = api.search("US", "local", 3, reservable="true", locality="Chicago")
    reservation = api.ok(
        api.post(
            "/number_reservations",
            json={
                "customer_reference": "hold-1",
                "phone_numbers": [{"phone_number": n} for n in numbers[:2]],
            },
        )
    )["data"]
    assert reservation["status"] == "success"
    assert {p["status"] for p in reservation["phone_numbers"]} == {"success"}
    visible = api.search("US", "local", 400, locality="Chicago")
    assert numbers[0] not in visible and numbers[2] in visible
    clash = api.ok(
        api.post("/number_reservations", json={"phone_numbers": [{"phone_number": numbers[0]}]})
    )["data"]
    assert clash["status"] == "failure"
    assert clash["phone_numbers"][0]["errors"] == "Number is already on hold"
    sandbox.advance(20 * 60)
    extended = api.ok(api.post(f"/number_reservations/{reservation['id']}/actions/extend"))["data"]
    assert (
        extended["phone_numbers"][0]["expired_at"] > reservation["phone_numbers"][0]["expired_at"]
    )
    sandbox.advance(35 * 60)  # 55 minutes in: still held (extended to 60)
    assert numbers[0] not in api.search("US", "local", 400, locality="Chicago")
    sandbox.advance(10 * 60)
    assert numbers[0] in api.search("US", "local", 400, locality="Chicago")
    expired = api.post(f"/number_reservations/{reservation['id']}/actions/extend")
    assert expired.status_code == 422
    listed = api.ok(
        api.get("/number_reservations", params={"filter[phone_numbers.phone_number]": numbers[1]})
    )
    assert reservation["id"] in [r["id"] for r in listed["data"]]
    assert (
        api.ok(api.get(f"/number_reservations/{reservation['id']}"))["data"]["id"]
        == (reservation["id"])
    )


def test_a_reserved_number_can_be_ordered(api: Api) -> None:
    number = api.search("US", "local", 1, reservable="true", locality="Atlanta")[0]
    api.ok(api.post("/number_reservations", json={"phone_numbers": [{"phone_number": number}]}))
    order = api.order([number])
    assert order["phone_numbers"][0]["phone_number"] == number


def test_sub_order_report_is_accepted_then_polled_then_downloaded(api: Api, sandbox) -> None:
    reference = ref()
    order = api.order(api.search("ES", "local", 1), customer_reference=reference)
    created = api.ok(
        api.post("/sub_number_orders_report", json={"customer_reference": reference}), status=202
    )["data"]
    assert created["status"] == "pending"
    early = api.get(f"/sub_number_orders_report/{created['id']}/download")
    assert early.status_code == 422
    sandbox.advance(2)
    report = api.ok(api.get(f"/sub_number_orders_report/{created['id']}"))["data"]
    assert report["status"] == "success"
    download = api.get(f"/sub_number_orders_report/{created['id']}/download")
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [r["id"] for r in rows] == order["sub_number_orders_ids"]
    assert rows[0]["customer_reference"] == reference
    assert rows[0]["is_block_sub_number_order"] == "False"
