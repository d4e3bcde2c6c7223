"""Every one of the 55 operations of openapi.yml, driven through the sandbox with happy and
error paths, every response validated against the spec (the deviations are named)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.contract import KNOWN_DEVIATIONS, Contract
from tests.fixtures.sandbox import ROOT
from tests.sandbox.conftest import PDF, Api, ref

MISSING = "00000000-0000-4000-8000-000000000000"


def test_every_operation_answers_happy_and_error_paths_within_the_spec(
    api: Api, sandbox, contract: Contract
) -> None:
    ok = api.ok
    # Search and ordering.
    numbers = api.search("DE", "local", 2)
    ok(api.get("/available_phone_number_blocks", params={"filter[country_code]": "US"}))
    order = api.order(numbers)
    ok(api.get("/number_orders", params={"filter[status]": "pending", "page[size]": 5}))
    ok(api.get(f"/number_orders/{order['id']}"))
    ok(api.patch(f"/number_orders/{order['id']}", json={"customer_reference": ref()}))
    sub_id = order["sub_number_orders_ids"][0]
    sub = api.sub(sub_id, include=True)
    ok(api.get("/sub_number_orders", params={"filter[order_request_id]": order["id"]}))
    ok(
        api.patch(
            f"/sub_number_orders/{sub_id}",
            json={"regulatory_requirements": api.values_for(sub)[:1]},
        )
    )
    number_id = order["phone_numbers"][0]["id"]
    ok(api.get("/number_order_phone_numbers", params={"filter[country_code]": "DE"}))
    api.number(number_id)
    ok(
        api.patch(
            f"/number_order_phone_numbers/{number_id}",
            json={"regulatory_requirements": api.values_for(sub)[1:2]},
        )
    )
    group = ok(
        api.post(
            "/requirement_groups",
            json={
                "country_code": "DE",
                "phone_number_type": "local",
                "action": "ordering",
                "regulatory_requirements": api.values_for(sub),
            },
        )
    )
    ok(
        api.post(
            f"/number_order_phone_numbers/{number_id}/requirement_group",
            json={"requirement_group_id": group["id"]},
        )
    )
    ok(
        api.post(
            f"/sub_number_orders/{sub_id}/requirement_group",
            json={"requirement_group_id": group["id"]},
        )
    )
    sandbox.advance(3)
    # Comments.
    comment = ok(
        api.post(
            "/comments",
            json={
                "body": "Thanks",
                "comment_record_id": sub_id,
                "comment_record_type": "sub_number_order",
            },
        )
    )["data"]
    ok(
        api.get(
            "/comments",
            params={
                "filter[comment_record_type]": "sub_number_order",
                "filter[comment_record_id]": sub_id,
            },
        )
    )
    ok(api.get(f"/comments/{comment['id']}"))
    ok(api.patch(f"/comments/{comment['id']}/read"))
    # Documents and links.
    doc = ok(
        api.post("/documents", json={"file": base64.b64encode(PDF).decode(), "filename": "a.pdf"})
    )["data"]
    ok(api.get("/documents", params={"sort[]": "-created_at", "page[number]": 1}))
    ok(api.get(f"/documents/{doc['id']}"))
    ok(api.patch(f"/documents/{doc['id']}", json={"customer_reference": "x"}))
    assert api.get(f"/documents/{doc['id']}/download").content == PDF
    ok(api.get("/document_links", params={"filter[linked_resource_id]": number_id}))
    ok(api.delete(f"/documents/{doc['id']}"))
    # Catalogue.
    requirement = ok(api.get("/requirements", params={"filter[country_code]": "FR"}))["data"][0]
    ok(api.get(f"/requirements/{requirement['id']}"))
    rtype = ok(api.get("/requirement_types", params={"sort[]": "name"}))["data"][0]
    ok(api.get(f"/requirement_types/{rtype['id']}"))
    ok(api.get("/regulatory_requirements", params={"filter[country_code]": "DE"}))
    ok(
        api.get(
            "/phone_numbers_regulatory_requirements", params={"filter[phone_number]": numbers[1]}
        )
    )
    # Requirement groups.
    ok(api.get("/requirement_groups", params={"filter[country_code]": "DE"}))
    ok(api.get(f"/requirement_groups/{group['id']}"))
    ok(api.patch(f"/requirement_groups/{group['id']}", json={"customer_reference": "g"}))
    ok(api.post(f"/requirement_groups/{group['id']}/submit_for_approval"))
    # Blocks, bulk, reservations.
    block = ok(api.get("/available_phone_number_blocks", params={"filter[country_code]": "GB"}))[
        "data"
    ][0]
    block_order = ok(
        api.post(
            "/number_block_orders",
            json={"starting_number": block["phone_number"], "range": block["range"]},
        )
    )["data"]
    ok(api.get("/number_block_orders", params={"filter[status]": "pending"}))
    ok(api.get(f"/number_block_orders/{block_order['id']}"))
    bulk = ok(
        api.post(
            "/inexplicit_number_orders",
            json={
                "ordering_groups": [
                    {"country_iso": "US", "phone_number_type": "toll_free", "count_requested": "2"}
                ]
            },
        )
    )["data"]
    ok(api.get("/inexplicit_number_orders", params={"page_number": 1, "page_size": 10}))
    ok(api.get(f"/inexplicit_number_orders/{bulk['id']}"))
    reservable = api.search("US", "local", 1, reservable="true")
    reservation = ok(
        api.post("/number_reservations", json={"phone_numbers": [{"phone_number": reservable[0]}]})
    )["data"]
    ok(api.get("/number_reservations", params={"filter[status]": "success"}))
    ok(api.get(f"/number_reservations/{reservation['id']}"))
    ok(api.post(f"/number_reservations/{reservation['id']}/actions/extend"))
    # Addresses.
    address_id = api.address()
    ok(api.get("/addresses", params={"filter[street_address][contains]": "Main"}))
    ok(api.get(f"/addresses/{address_id}"))
    ok(api.delete(f"/addresses/{address_id}"))
    # Report, then cancelling and deleting.
    report = ok(api.post("/sub_number_orders_report", json={"country_code": "DE"}), 202)["data"]
    sandbox.advance(2)
    ok(api.get(f"/sub_number_orders_report/{report['id']}"))
    assert api.get(f"/sub_number_orders_report/{report['id']}/download").status_code == 200
    other = api.order(api.search("FR", "mobile", 1))
    ok(api.patch(f"/sub_number_orders/{other['sub_number_orders_ids'][0]}/cancel"))
    ok(api.delete(f"/requirement_groups/{group['id']}"))

    # Error paths: every operation without credentials, and unknown ids where there are ids.
    ids = {
        "number_order_id": MISSING,
        "sub_number_order_id": MISSING,
        "id": MISSING,
        "number_order_phone_number_id": MISSING,
        "number_block_order_id": MISSING,
        "number_reservation_id": MISSING,
        "report_id": MISSING,
    }
    for op in contract.operations:
        path = op.template.format(**ids)
        kwargs = {"json": {}} if op.method in ("POST", "PATCH") else {}
        anonymous = api.unchecked.request(op.method, path, headers={"Authorization": ""}, **kwargs)
        assert anonymous.status_code == 401, (op.method, path)
        if "{" in op.template:
            missing = api.unchecked.request(op.method, path, **kwargs)
            assert missing.status_code in (404, 422), (op.method, path, missing.text)

    driven = {(m, t) for m, t, s in api.exchanges if 200 <= s < 300}
    failed = {(m, t) for m, t, s in api.exchanges if s >= 400}
    every = {(op.method, op.template) for op in contract.operations}
    assert len(every) == 55
    assert every - driven == set()
    assert every - failed == set()


def test_known_deviations_are_named_and_really_occur(api: Api, sandbox, contract) -> None:
    """Each tolerated deviation is reported when seen, and strict validation rejects it."""
    names = {d.name for d in KNOWN_DEVIATIONS}
    assert {
        "order-status-cancelled",
        "order-status-deleted",
        "requirement-status-declined",
        "deadline-null",
        "read-at-null",
    } <= names
    order = api.order(api.search("GB", "local", 1))
    contract.seen_deviations.clear()
    api.patch(f"/sub_number_orders/{order['sub_number_orders_ids'][0]}/cancel")
    assert (
        "order-status-cancelled",
        "PATCH /sub_number_orders/{sub_number_order_id}/cancel -> 200",
    ) in contract.seen_deviations
    strict = Contract(contract.path)
    strict.known_deviations = []
    response = api.get(f"/sub_number_orders/{order['sub_number_orders_ids'][0]}")
    with pytest.raises(AssertionError, match="'cancelled' is not one of"):
        strict.validate_response(
            "GET", str(response.request.url), 200, response.headers, response.content
        )
    fresh = api.order(api.search("GB", "local", 1))
    sub = api.sub(fresh["sub_number_orders_ids"][0])
    api.patch(
        f"/sub_number_orders/{sub['id']}", json={"regulatory_requirements": api.values_for(sub)}
    )
    response = api.get(f"/number_order_phone_numbers/{fresh['phone_numbers'][0]['id']}")
    assert response.json()["data"]["deadline"] is None
    with pytest.raises(AssertionError, match="deadline"):
        strict.validate_response(
            "GET", str(response.request.url), 200, response.headers, response.content
        )


def test_the_contract_suite_skips_without_the_spec_but_fails_under_ci(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text("def test_uses_contract(contract):\n    pass\n")
    env = {**os.environ, "TELNYX_OPENAPI_SPEC": str(tmp_path / "missing.yml"), "CI": "false"}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "tests.fixtures.contract",
        "--rootdir",
        str(ROOT),
        "-c",
        str(ROOT / "pyproject.toml"),
        str(probe),
        "-rs",
    ]
    skipped = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    assert "1 skipped" in skipped.stdout, skipped.stdout
    assert "spec is missing" in skipped.stdout
    env["CI"] = "true"
    failed = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    assert failed.returncode != 0
    assert "spec is missing" in failed.stdout
