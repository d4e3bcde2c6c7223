"""The sandbox answers Telnyx's own Python SDK as Telnyx would: the main flows, driven with the
official ``telnyx`` client, every request and answer validated against openapi.yml.

The SDK encodes parameters its own way (comma-joined arrays, ``page[number]`` from its pager,
ISO 8601 date-times with an offset, JSON uploads to ``/documents?content-type=multipart``);
each test checks that the encoding really went on the wire, then that the sandbox understood it.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import io
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import pytest
import telnyx

from tests.sandbox.conftest import PDF
from tests.sandbox.sdk_client import SdkSession

pytestmark = pytest.mark.integration


def _sent(session: SdkSession, method: str, template: str) -> list[dict[str, str]]:
    """The query parameters of each request the SDK sent to an operation, in order."""
    return [
        dict(parse_qsl(query, keep_blank_values=True))
        for m, t, query in session.queries
        if (m, t) == (method, template)
    ]


def _ref() -> str:
    return f"sdk-{secrets.token_hex(6)}"


def test_search_with_comma_joined_features_and_boolean_filters(sdk: SdkSession) -> None:
    found = sdk.client.available_phone_numbers.list(
        filter={
            "country_code": "US",
            "phone_number_type": "local",
            "features": ["sms", "voice"],
            "reservable": True,
            "best_effort": False,
            "limit": 5,
        }
    )
    sent = _sent(sdk, "GET", "/available_phone_numbers")[-1]
    assert sent["filter[features]"] == "sms,voice"
    assert sent["filter[reservable]"] == "true"
    assert len(found.data) == 5
    for number in found.data:
        assert {"sms", "voice"} <= {f.name for f in number.features}
        assert number.reservable is True
    blocks = sdk.client.available_phone_number_blocks.list(filter={"country_code": "GB"})
    assert blocks.data and all(b.range > 1 for b in blocks.data)


def test_order_then_find_it_with_boolean_and_date_filters(sdk: SdkSession) -> None:
    c = sdk.client
    reference = _ref()
    order = sdk.order(sdk.search("DE", "local", 2), customer_reference=reference)
    assert order.phone_numbers_count == 2
    assert c.number_orders.retrieve(order.id).data.customer_reference == reference
    renamed = _ref()
    assert c.number_orders.update(order.id, customer_reference=renamed).data.customer_reference == (
        renamed
    )
    past = "2000-01-01T00:00:00Z"
    unmet = c.number_orders.list(
        filter={
            "customer_reference": renamed,
            "requirements_met": False,
            "created_at": {"gt": past},
        },
        page_size=5,
    )
    assert [o.id for o in unmet] == [order.id]
    met = c.number_orders.list(filter={"customer_reference": renamed, "requirements_met": True})
    assert list(met) == []
    sent = _sent(sdk, "GET", "/number_orders")
    assert sent[0]["filter[requirements_met]"] == "false"
    assert sent[0]["page[size]"] == "5"

    sub_id = order.sub_number_orders_ids[0]
    with_numbers = c.sub_number_orders.retrieve(sub_id, filter={"include_phone_numbers": True})
    assert _sent(sdk, "GET", "/sub_number_orders/{sub_number_order_id}")[-1] == {
        "filter[include_phone_numbers]": "true"
    }
    assert len(with_numbers.data.phone_numbers) == 2
    listed = c.sub_number_orders.list(filter={"order_request_id": order.id})
    assert [s.id for s in listed.data] == [sub_id]
    by_country = c.number_order_phone_numbers.list(filter={"country_code": "DE"})
    assert {n.id for n in order.phone_numbers} <= {n.id for n in by_country.data}


def test_requirements_met_with_documents_from_each_sdk_upload_method(
    sdk: SdkSession, sandbox
) -> None:
    c = sdk.client
    encoded = base64.b64encode(PDF).decode()
    flagged = c.documents.upload(document={"file": encoded, "filename": "flagged.pdf"}).data
    plain = c.documents.upload_json(document={"file": encoded, "filename": "plain.pdf"}).data

    async def upload_async() -> list[str]:
        async with sdk.async_client() as client:
            one = await client.documents.upload(document={"file": encoded, "filename": "a1.pdf"})
            two = await client.documents.upload_json(
                document={"file": encoded, "filename": "a2.pdf"}
            )
            return [one.data.id, two.data.id]

    # In a thread of its own: a browser test earlier in the session leaves Playwright's event
    # loop running in this one, and asyncio.run refuses to start inside a running loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        uploaded_async = pool.submit(asyncio.run, upload_async()).result(timeout=60)
    uploaded = [flagged.id, plain.id, *uploaded_async]
    posts = _sent(sdk, "POST", "/documents")
    assert posts == [{"content-type": "multipart"}, {}, {"content-type": "multipart"}, {}]
    for doc_id in uploaded:
        doc = c.documents.retrieve(doc_id).data
        assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
        assert doc.size.amount == len(PDF)
        assert c.documents.download(doc_id).read() == PDF

    order = sdk.order(sdk.search("DE", "local"))
    sub = c.sub_number_orders.retrieve(order.sub_number_orders_ids[0]).data
    requirements = [r.to_dict() for r in sub.regulatory_requirements]
    values = sdk.values_for(requirements)
    document_req = next(r["requirement_id"] for r in requirements if r["field_type"] == "document")
    for value in values:
        if value["requirement_id"] == document_req:
            value["field_value"] = flagged.id
    c.sub_number_orders.update(sub.id, regulatory_requirements=values)
    sandbox.advance(3)
    number_id = order.phone_numbers[0].id
    number = c.number_order_phone_numbers.retrieve(number_id).data
    assert number.requirements_status == "approved"
    links = c.document_links.list(filter={"linked_resource_id": number_id})
    assert flagged.id in {link.document_id for link in links}


def test_a_declined_document_gets_a_comment_an_answer_and_a_replacement(
    sdk: SdkSession, sandbox
) -> None:
    c = sdk.client
    order = sdk.order(sdk.search("DE", "local"))
    sub = c.sub_number_orders.retrieve(order.sub_number_orders_ids[0]).data
    requirements = [r.to_dict() for r in sub.regulatory_requirements]
    c.sub_number_orders.update(
        sub.id, regulatory_requirements=sdk.values_for(requirements, reject="document")
    )
    sandbox.advance(3)
    number_id = order.phone_numbers[0].id
    number = c.number_order_phone_numbers.retrieve(number_id).data
    assert number.requirements_status == "requirement-info-exception"
    statuses = {r.field_type: r.status for r in number.regulatory_requirements}
    assert statuses["document"] == "declined"

    thread = {"comment_record_id": sub.id, "comment_record_type": "sub_number_order"}
    admin = [m for m in c.comments.list(filter=thread).data if m.commenter_type == "admin"]
    assert len(admin) == 1 and admin[0].read_at is None
    read = c.comments.mark_as_read(admin[0].id).data
    assert read.read_at is not None
    reply = c.comments.create(body="A clearer scan follows.", **thread).data
    assert c.comments.retrieve(reply.id).data.body == "A clearer scan follows."
    assert reply.id in {m.id for m in c.comments.list(filter=thread).data}

    document_req = next(r["requirement_id"] for r in requirements if r["field_type"] == "document")
    fresh = c.documents.upload_json(
        document={"file": base64.b64encode(PDF).decode(), "filename": "clear-scan.pdf"}
    ).data
    c.number_order_phone_numbers.update_requirements(
        number_id,
        regulatory_requirements=[{"requirement_id": document_req, "field_value": fresh.id}],
    )
    sandbox.advance(3)
    assert c.number_order_phone_numbers.retrieve(number_id).data.requirements_status == "approved"


def test_a_group_mandatory_country_is_ordered_through_an_approved_requirement_group(
    sdk: SdkSession, sandbox
) -> None:
    c = sdk.client
    catalogue = c.regulatory_requirements.retrieve(
        filter={"country_code": "CH", "phone_number_type": "local", "action": "ordering"}
    ).data[0]
    phone = sdk.search("CH", "local")[0]
    with pytest.raises(telnyx.UnprocessableEntityError) as refused:
        sdk.order([phone])
    assert "requirement group" in refused.value.body["errors"][0]["detail"]

    reference = _ref()
    group = c.requirement_groups.create(
        country_code="CH",
        phone_number_type="local",
        action="ordering",
        customer_reference=reference,
    )
    assert group.status == "unapproved"
    values = sdk.values_for([r.to_dict() for r in catalogue.regulatory_requirements])
    patched = c.requirement_groups.update(group.id, regulatory_requirements=values)
    assert all(r.field_value for r in patched.regulatory_requirements)
    assert c.requirement_groups.submit_for_approval(group.id).status == "pending-approval"
    sandbox.advance(3)
    assert c.requirement_groups.retrieve(group.id).status == "approved"
    listed = c.requirement_groups.list(filter={"customer_reference": reference})
    assert [g.id for g in listed] == [group.id]

    order = c.number_orders.create(
        phone_numbers=[{"phone_number": phone, "requirement_group_id": group.id}]
    ).data
    number = c.number_order_phone_numbers.retrieve(order.phone_numbers[0].id).data
    assert number.requirements_status in ("requirement-info-under-review", "approved")
    sandbox.advance(3)
    assert c.number_order_phone_numbers.retrieve(number.id).data.requirements_status == "approved"


def test_bulk_orders_page_with_the_flat_parameters_the_sdk_sends(sdk: SdkSession, sandbox) -> None:
    c = sdk.client
    created = [
        c.inexplicit_number_orders.create(
            customer_reference=_ref(),
            ordering_groups=[
                {"country_iso": "US", "phone_number_type": "toll_free", "count_requested": "2"}
            ],
        ).data
        for _ in range(2)
    ]
    sandbox.tick()
    done = c.inexplicit_number_orders.retrieve(created[0].id).data
    assert done.ordering_groups[0].status == "success"
    assert done.ordering_groups[0].count_allocated == 2
    seen = [o.id for o in c.inexplicit_number_orders.list(page_size=1)]
    assert {o.id for o in created} <= set(seen)
    assert len(seen) == len(set(seen))
    pages = _sent(sdk, "GET", "/inexplicit_number_orders")
    assert pages[1] == {"page_size": "1", "page_number": "2"}


def test_reservations_hold_and_extend_through_the_sdk(sdk: SdkSession, sandbox) -> None:
    c = sdk.client
    phones = sdk.search("US", "local", 2, reservable=True)
    reference = _ref()
    held = c.number_reservations.create(
        customer_reference=reference,
        phone_numbers=[{"phone_number": p} for p in phones],
    ).data
    assert held.status == "success"
    listed = c.number_reservations.list(
        filter={
            "phone_numbers_phone_number": phones[1],
            "customer_reference": reference,
        }
    )
    assert (
        _sent(sdk, "GET", "/number_reservations")[-1]["filter[phone_numbers.phone_number]"]
        == (phones[1])
    )
    assert [r.id for r in listed] == [held.id]
    assert c.number_reservations.retrieve(held.id).data.id == held.id
    sandbox.advance(20 * 60)
    extended = c.number_reservations.actions.extend(held.id).data
    assert extended.phone_numbers[0].expired_at > held.phone_numbers[0].expired_at


def test_the_report_filters_by_the_sdks_iso_date_times(sdk: SdkSession, sandbox) -> None:
    c = sdk.client
    reference = _ref()
    order = sdk.order(sdk.search("ES", "local"), customer_reference=reference)
    now = sandbox.now()
    wide = c.sub_number_orders_report.create(
        customer_reference=reference,
        created_at_gt=now - timedelta(hours=1),
        created_at_lt=now + timedelta(hours=1),
    ).data
    later = c.sub_number_orders_report.create(
        customer_reference=reference, created_at_gt=now + timedelta(hours=1)
    ).data
    assert wide.status == "pending"
    sandbox.advance(2)
    assert c.sub_number_orders_report.retrieve(wide.id).data.status == "success"
    rows = list(csv.DictReader(io.StringIO(c.sub_number_orders_report.download(wide.id))))
    assert [r["id"] for r in rows] == order.sub_number_orders_ids
    assert list(csv.DictReader(io.StringIO(c.sub_number_orders_report.download(later.id)))) == []


def test_several_sort_keys_and_auto_paging_with_the_sdk(sdk: SdkSession, sandbox) -> None:
    c = sdk.client
    token = secrets.token_hex(4)
    encoded = base64.b64encode(PDF).decode()
    uploaded = []
    for name in ("b", "a", "a"):
        uploaded.append(
            c.documents.upload(document={"file": encoded, "filename": f"{token}-{name}.pdf"}).data
        )
        sandbox.advance(1)
    ids = [d.id for d in uploaded]
    mine = {"filename": {"contains": token}}
    ordered = c.documents.list(filter=mine, sort=["filename", "-created_at"])
    assert _sent(sdk, "GET", "/documents")[-1]["sort"] == "filename,-created_at"
    assert [d.id for d in ordered.data] == [ids[2], ids[1], ids[0]]
    reverse = c.documents.list(filter=mine, sort=["-filename", "created_at"])
    assert [d.id for d in reverse.data] == [ids[0], ids[1], ids[2]]

    paged = [d.id for d in c.documents.list(filter=mine, sort=["created_at"], page_size=1)]
    assert paged == ids
    assert [p.get("page[number]") for p in _sent(sdk, "GET", "/documents")[-3:]] == [
        None,
        "2",
        "3",
    ]

    # Date-times as the SDK writes them (isoformat: microseconds and an offset).
    created = [datetime.fromisoformat(str(d.created_at).replace("Z", "+00:00")) for d in uploaded]
    between = created[0] + timedelta(microseconds=500_000)
    newer = c.documents.list(filter={**mine, "created_at": {"gt": between}}, sort=["created_at"])
    assert "." in _sent(sdk, "GET", "/documents")[-1]["filter[created_at][gt]"]
    assert [d.id for d in newer.data] == ids[1:]
    older = c.documents.list(
        filter={**mine, "created_at": {"lt": created[1] + timedelta(microseconds=500_000)}},
        sort=["created_at"],
    )
    assert [d.id for d in older.data] == ids[:2]

    requirements = c.requirements.list(sort=["country_code", "-phone_number_type"], page_size=250)
    keys = [(r.country_code, r.phone_number_type) for r in requirements.data]
    assert keys == sorted(keys, key=lambda k: (k[0], _desc(k[1])))
    names = [t.name for t in c.requirement_types.list(sort=["-name", "created_at"]).data]
    assert names == sorted(names, reverse=True)


def _desc(text: str) -> list[int]:
    return [-ord(ch) for ch in text] + [0]


def test_an_sdk_contract_violation_fails_the_test_with_its_text(sdk: SdkSession) -> None:
    """Guard for the suite itself: a request outside the spec is caught, not passed off."""
    naive = datetime(2026, 1, 1, 12, 0, tzinfo=None)  # no offset: not an RFC 3339 date-time
    with pytest.raises(telnyx.APIConnectionError):
        sdk.client.documents.list(filter={"created_at": {"gt": naive}})
    assert len(sdk.violations) == 1
    assert "date-time" in sdk.violations[0]
    sdk.violations.clear()
    aware = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    sdk.client.documents.list(filter={"created_at": {"gt": aware}})
    assert sdk.violations == []


def test_p11_an_sdk_post_answered_500_arrives_once(sdk: SdkSession, sandbox) -> None:
    numbers = sdk.search("GB", "local")
    sandbox.clear_requests()
    sandbox.script(method="POST", path="/v2/number_orders", action="status", status=500)
    with pytest.raises(telnyx.InternalServerError):
        sdk.order(numbers)
    assert len(sandbox.requests(path="/v2/number_orders", method="POST")) == 1
