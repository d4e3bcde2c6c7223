"""Every encoding a real client sends means the same to the sandbox: uploads decided by the
request's Content-Type (not the SDK's ``content-type=multipart`` URL flag), array parameters
repeated, bracketed or comma-joined, and errors naming the parameter as the spec (or the
client) spells it."""

from __future__ import annotations

import base64
import hashlib
import secrets

import pytest

from tests.sandbox.conftest import PDF, Api

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("url", ["/documents", "/documents?content-type=multipart"])
def test_uploads_in_either_encoding_at_either_url(api: Api, url: str) -> None:
    as_json = api.post(
        url, json={"file": base64.b64encode(PDF).decode(), "filename": "json-body.pdf"}
    )
    as_form = api.post(url, files={"file": ("form-body.pdf", PDF, "application/pdf")})
    for response, name in ((as_json, "json-body.pdf"), (as_form, "form-body.pdf")):
        doc = api.ok(response)["data"]
        assert doc["filename"] == name
        assert doc["sha256"] == hashlib.sha256(PDF).hexdigest()
        assert api.get(f"/documents/{doc['id']}/download").content == PDF


def test_a_json_upload_to_the_flagged_url_keeps_nothing_when_it_is_bad(api: Api) -> None:
    before = api.ok(api.get("/documents", params={"page[size]": 250}))["meta"]["total_results"]
    refused = api.unchecked.post(
        "/documents?content-type=multipart",
        json={"file": "not base64 at all!", "filename": "x.pdf"},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["source"]["pointer"] == "/file"
    after = api.ok(api.get("/documents", params={"page[size]": 250}))["meta"]["total_results"]
    assert after == before


def _ids(api: Api, path: str, query: str) -> list[str]:
    return [item["id"] for item in api.ok(api.get(f"{path}?{query}"))["data"]]


def test_several_sort_keys_repeated_bracketed_or_comma_joined_give_one_order(api: Api) -> None:
    token = secrets.token_hex(4)
    for name in ("b", "a", "a"):
        api.document(f"{token}-{name}.pdf")
    mine = f"filter[filename][contains]={token}"
    spec = _ids(api, "/documents", f"{mine}&sort=-filename&sort=updated_at")
    assert len(spec) == 3
    assert _ids(api, "/documents", f"{mine}&sort[]=-filename&sort[]=updated_at") == spec
    assert _ids(api, "/documents", f"{mine}&sort=-filename,updated_at") == spec
    assert _ids(api, "/documents", f"{mine}&sort=-filename%2Cupdated_at") == spec
    names = [t["name"] for t in api.ok(api.get("/requirement_types?sort=-name,created_at"))["data"]]
    assert names == sorted(names, reverse=True)


def test_an_unknown_sort_key_is_refused_naming_the_parameter_sort(api: Api) -> None:
    for path in ("/documents", "/requirements", "/requirement_types"):
        response = api.unchecked.get(f"{path}?sort=created_at,colour")
        assert response.status_code == 422, path
        problem = response.json()["errors"][0]
        assert problem["source"] == {"parameter": "sort"}
        assert "colour" in problem["detail"]


def test_page_errors_name_the_parameter_the_client_sent(api: Api) -> None:
    flat = api.unchecked.get("/inexplicit_number_orders", params={"page_number": 0})
    assert flat.status_code == 400
    assert flat.json()["errors"][0]["source"] == {"parameter": "page_number"}
    flat_size = api.unchecked.get("/inexplicit_number_orders", params={"page_size": 999})
    assert flat_size.json()["errors"][0]["source"] == {"parameter": "page_size"}
    deep = api.unchecked.get("/number_orders", params={"page[number]": 0})
    assert deep.status_code == 400
    assert deep.json()["errors"][0]["source"] == {"parameter": "page[number]"}


def test_array_filters_repeated_bracketed_or_comma_joined(api: Api) -> None:
    refs = [f"in-{secrets.token_hex(3)}" for _ in range(3)]
    ids = {}
    for reference in refs:
        body = {
            "file": base64.b64encode(PDF).decode(),
            "filename": "x.pdf",
            "customer_reference": reference,
        }
        ids[reference] = api.ok(api.post("/documents", json=body))["data"]["id"]
    wanted = {ids[refs[0]], ids[refs[2]]}
    for query in (
        f"filter[customer_reference][in][]={refs[0]}&filter[customer_reference][in][]={refs[2]}",
        f"filter[customer_reference][in]={refs[0]},{refs[2]}",
        f"filter[customer_reference][in]={refs[0]}&filter[customer_reference][in]={refs[2]}",
    ):
        assert set(_ids(api, "/documents", query)) == wanted, query


def test_boolean_filters_read_true_false_1_and_0(api: Api) -> None:
    reference = f"emergency-{secrets.token_hex(3)}"
    address_id = api.address(customer_reference=reference)
    for raw, kept in (("true", False), ("1", False), ("false", True), ("0", True)):
        query = f"filter[customer_reference][eq]={reference}&filter[used_as_emergency]={raw}"
        assert (_ids(api, "/addresses", query) == [address_id]) is kept, raw
    refused = api.unchecked.get("/addresses?filter[used_as_emergency]=sometimes")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["source"] == {"parameter": "filter[used_as_emergency]"}
