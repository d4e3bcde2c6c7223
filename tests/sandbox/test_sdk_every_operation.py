"""Every one of the 55 operations of openapi.yml, called through Telnyx's official Python SDK:
each answers 2xx, and every request the SDK built and every answer was validated against the
spec (the ``sdk`` fixture fails the test on any violation)."""

from __future__ import annotations

import base64

import pytest
import telnyx

from tests.fixtures.contract import Contract
from tests.sandbox.conftest import PDF
from tests.sandbox.sdk_client import SdkSession

pytestmark = pytest.mark.integration
MISSING = "00000000-0000-4000-8000-000000000000"


def test_every_operation_answers_the_sdk_within_the_spec(
    sdk: SdkSession, sandbox, contract: Contract
) -> None:
    c = sdk.client
    # Search and ordering.
    numbers = [
        n.phone_number
        for n in c.available_phone_numbers.list(
            filter={"country_code": "DE", "phone_number_type": "local", "limit": 2}
        ).data
    ]
    c.available_phone_number_blocks.list(filter={"country_code": "US"})
    order = c.number_orders.create(phone_numbers=[{"phone_number": n} for n in numbers]).data
    c.number_orders.list(filter={"status": "pending"}, page_size=5)
    c.number_orders.retrieve(order.id)
    c.number_orders.update(order.id, customer_reference="sdk-every")
    sub_id = order.sub_number_orders_ids[0]
    sub = c.sub_number_orders.retrieve(sub_id, filter={"include_phone_numbers": True}).data
    c.sub_number_orders.list(filter={"order_request_id": order.id})
    values = sdk.values_for([r.to_dict() for r in sub.regulatory_requirements])
    c.sub_number_orders.update(sub_id, regulatory_requirements=values[:1])
    number_id = order.phone_numbers[0].id
    c.number_order_phone_numbers.list(filter={"country_code": "DE"})
    c.number_order_phone_numbers.retrieve(number_id)
    c.number_order_phone_numbers.update_requirements(number_id, regulatory_requirements=values[1:2])
    group = c.requirement_groups.create(
        country_code="DE",
        phone_number_type="local",
        action="ordering",
        regulatory_requirements=values,
    )
    c.number_order_phone_numbers.update_requirement_group(number_id, requirement_group_id=group.id)
    c.sub_number_orders.update_requirement_group(sub_id, requirement_group_id=group.id)
    sandbox.advance(3)
    # Comments.
    comment = c.comments.create(
        body="Thanks", comment_record_id=sub_id, comment_record_type="sub_number_order"
    ).data
    c.comments.list(filter={"comment_record_type": "sub_number_order", "comment_record_id": sub_id})
    c.comments.retrieve(comment.id)
    c.comments.mark_as_read(comment.id)
    # Documents and links.
    doc = c.documents.upload(
        document={"file": base64.b64encode(PDF).decode(), "filename": "a.pdf"}
    ).data
    c.documents.list(sort=["-created_at", "filename"], page_number=1)
    c.documents.retrieve(doc.id)
    c.documents.update(doc.id, customer_reference="x")
    assert c.documents.download(doc.id).read() == PDF
    c.document_links.list(filter={"linked_resource_id": number_id})
    c.documents.delete(doc.id)
    # Catalogue.
    requirement = c.requirements.list(filter={"country_code": "FR"}).data[0]
    c.requirements.retrieve(requirement.id)
    rtype = c.requirement_types.list(sort=["name"]).data[0]
    c.requirement_types.retrieve(rtype.id)
    c.regulatory_requirements.retrieve(filter={"country_code": "DE"})
    c.phone_numbers_regulatory_requirements.retrieve(filter={"phone_number": numbers[1]})
    # Requirement groups.
    c.requirement_groups.list(filter={"country_code": "DE"})
    c.requirement_groups.retrieve(group.id)
    c.requirement_groups.update(group.id, customer_reference="g")
    c.requirement_groups.submit_for_approval(group.id)
    # Blocks, bulk, reservations.
    block = c.available_phone_number_blocks.list(filter={"country_code": "GB"}).data[0]
    block_order = c.number_block_orders.create(
        starting_number=block.phone_number, range=block.range
    ).data
    c.number_block_orders.list(filter={"status": "pending"})
    c.number_block_orders.retrieve(block_order.id)
    bulk = c.inexplicit_number_orders.create(
        ordering_groups=[
            {"country_iso": "US", "phone_number_type": "toll_free", "count_requested": "2"}
        ]
    ).data
    c.inexplicit_number_orders.list(page_number=1, page_size=10)
    c.inexplicit_number_orders.retrieve(bulk.id)
    reservable = c.available_phone_numbers.list(
        filter={"country_code": "US", "phone_number_type": "local", "reservable": True, "limit": 1}
    ).data
    reservation = c.number_reservations.create(
        phone_numbers=[{"phone_number": reservable[0].phone_number}]
    ).data
    c.number_reservations.list(filter={"status": "success"})
    c.number_reservations.retrieve(reservation.id)
    c.number_reservations.actions.extend(reservation.id)
    # Addresses.
    address_id = sdk.address()
    c.addresses.list(filter={"street_address": {"contains": "Main"}}, sort="street_address")
    c.addresses.retrieve(address_id)
    c.addresses.delete(address_id)
    # Report, then cancelling and deleting.
    report = c.sub_number_orders_report.create(country_code="DE").data
    sandbox.advance(2)
    c.sub_number_orders_report.retrieve(report.id)
    assert c.sub_number_orders_report.download(report.id)
    other = c.number_orders.create(
        phone_numbers=[
            {"phone_number": n.phone_number}
            for n in c.available_phone_numbers.list(
                filter={"country_code": "FR", "phone_number_type": "mobile", "limit": 1}
            ).data
        ]
    ).data
    c.sub_number_orders.cancel(other.sub_number_orders_ids[0])
    c.requirement_groups.delete(group.id)

    # An unknown id answers the SDK with its typed error, in the spec's error envelope.
    with pytest.raises(telnyx.NotFoundError):
        c.number_orders.retrieve(MISSING)

    driven = {(m, t) for m, t, s in sdk.exchanges if 200 <= s < 300}
    every = {(op.method, op.template) for op in contract.operations}
    assert len(every) == 55
    assert every - driven == set()
