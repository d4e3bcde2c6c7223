"""Documents (JSON base64 and multipart, 20 MB, sha256, antivirus, 30-minute deletion) and
addresses (numeric-string ids)."""

from __future__ import annotations

import base64
import hashlib

from tests.sandbox.conftest import PDF, Api


def test_json_upload_computes_sha256_size_and_scan_status(api: Api) -> None:
    doc = api.ok(
        api.post(
            "/documents",
            json={
                "file": base64.b64encode(PDF).decode(),
                "filename": "my passport",
                "customer_reference": "ref-1",
            },
        )
    )["data"]
    assert doc["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert doc["size"] == {"amount": len(PDF), "unit": "bytes"}
    assert doc["filename"] == "mypassport.pdf"  # spaces stripped, extension of the type added
    assert doc["content_type"] == "application/pdf"
    assert doc["av_scan_status"] == "scanned"
    assert doc["status"] == "pending"
    downloaded = api.get(f"/documents/{doc['id']}/download")
    assert downloaded.content == PDF


def test_multipart_upload_takes_the_filename_from_the_file_part(api: Api) -> None:
    response = api.post(
        "/documents",
        files={"file": ("bill.pdf", PDF, "application/pdf")},
        data={"customer_reference": "multi-1"},
    )
    doc = api.ok(response)["data"]
    assert doc["filename"] == "bill.pdf"
    assert doc["customer_reference"] == "multi-1"
    assert doc["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_files_over_20_mb_and_unknown_types_are_refused(api: Api) -> None:
    big = PDF + b"0" * (20 * 1024 * 1024)
    response = api.post("/documents", files={"file": ("big.pdf", big, "application/pdf")})
    assert response.status_code == 422
    exe = api.post(
        "/documents",
        json={"file": base64.b64encode(b"MZ\x90\x00" * 10).decode(), "filename": "tool.exe"},
    )
    assert exe.status_code == 422


def test_an_infected_file_is_denied(api: Api) -> None:
    eicar = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    doc = api.ok(
        api.post(
            "/documents", json={"file": base64.b64encode(eicar).decode(), "filename": "note.txt"}
        )
    )["data"]
    assert doc["av_scan_status"] == "infected"
    assert doc["status"] == "denied"


def test_an_unlinked_document_is_deleted_after_30_minutes(api: Api, sandbox) -> None:
    kept_id = None
    order = api.order(api.search("DE", "local", 1))
    sub = api.sub(order["sub_number_orders_ids"][0])
    doc_req = next(r for r in sub["regulatory_requirements"] if r["field_type"] == "document")
    kept_id = api.document("linked.pdf")
    lost_id = api.document("forgotten.pdf")
    api.ok(
        api.patch(
            f"/sub_number_orders/{sub['id']}",
            json={
                "regulatory_requirements": [
                    {"requirement_id": doc_req["requirement_id"], "field_value": kept_id}
                ]
            },
        )
    )
    sandbox.advance(29 * 60)
    assert api.get(f"/documents/{lost_id}").status_code == 200
    sandbox.advance(2 * 60)
    assert api.get(f"/documents/{lost_id}").status_code == 404
    assert api.get(f"/documents/{kept_id}").status_code == 200
    links = api.ok(
        api.get(
            "/document_links",
            params={
                "filter[linked_record_type]": "number_order_phone_number",
                "filter[linked_resource_id]": order["phone_numbers"][0]["id"],
            },
        )
    )["data"]
    assert [link["document_id"] for link in links] == [kept_id]
    refused = api.delete(f"/documents/{kept_id}")
    assert refused.status_code == 422


def test_documents_list_update_and_delete(api: Api) -> None:
    doc_id = api.document("invoice-march.pdf")
    renamed = api.ok(
        api.patch(
            f"/documents/{doc_id}",
            json={"filename": "invoice-april.pdf", "customer_reference": "inv-7"},
        )
    )["data"]
    assert renamed["filename"] == "invoice-april.pdf"
    listed = api.ok(
        api.get(
            "/documents",
            params={
                "filter[filename][contains]": "invoice-apr",
                "filter[customer_reference][eq]": "inv-7",
            },
        )
    )
    assert [d["id"] for d in listed["data"]] == [doc_id]
    assert listed["meta"]["total_results"] == 1
    deleted = api.ok(api.delete(f"/documents/{doc_id}"))["data"]
    assert deleted["id"] == doc_id
    assert api.get(f"/documents/{doc_id}").status_code == 404


def test_addresses_have_numeric_string_ids(api: Api) -> None:
    address_id = api.address(customer_reference="hq-berlin")
    assert address_id.isdigit() and len(address_id) == 19
    address = api.ok(api.get(f"/addresses/{address_id}"))["data"]
    assert address["record_type"] == "address"
    listed = api.ok(api.get("/addresses", params={"filter[customer_reference][eq]": "hq-berlin"}))
    assert [a["id"] for a in listed["data"]] == [address_id]
    missing = api.unchecked.post("/addresses", json={"first_name": "Ada"})
    assert missing.status_code == 422
    pointers = {e["source"]["pointer"] for e in missing.json()["errors"]}
    assert {"/last_name", "/street_address", "/country_code"} <= pointers
    assert api.ok(api.delete(f"/addresses/{address_id}"))["data"]["id"] == address_id
    assert api.get(f"/addresses/{address_id}").status_code == 404
