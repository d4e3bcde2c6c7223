"""A 2xx answer the models cannot read is a typed Telnyx error, never a raw crash in a view."""

from __future__ import annotations

import httpx
import pytest

from portal.telnyx.client import TelnyxClient
from portal.telnyx.endpoint import seg
from portal.telnyx.errors import TelnyxError, UnexpectedResponseError


def client_answering(response: httpx.Response, seen: list[httpx.Request] | None = None):
    def handler(request):
        if seen is not None:
            seen.append(request)
        return response

    return TelnyxClient(
        "https://api.example.test/v2", "KEY", transport=httpx.MockTransport(handler)
    )


def test_a_body_that_is_not_json_is_an_unexpected_response():
    client = client_answering(httpx.Response(200, text="<html>gateway</html>"))
    with pytest.raises(UnexpectedResponseError) as info:
        client.get_number_order("o1")
    assert isinstance(info.value, TelnyxError)


def test_a_record_of_the_wrong_shape_is_an_unexpected_response():
    body = {"data": {"id": "o1", "phone_numbers": "+4930"}}
    client = client_answering(httpx.Response(200, json=body))
    with pytest.raises(UnexpectedResponseError, match="NumberOrder"):
        client.get_number_order("o1")


def test_ids_cannot_change_the_path():
    seen: list[httpx.Request] = []
    client = client_answering(httpx.Response(200, json={"data": {"id": "x"}}), seen)
    client.get_comment("../number_orders?x=1")
    assert seen[0].url.raw_path == b"/v2/comments/..%2Fnumber_orders%3Fx%3D1"
    with pytest.raises(ValueError, match="id"):
        seg("")


COMMENTS_PAGE = {
    "data": [
        {
            "id": 41,  # Telnyx is loose about ids: a number is read as "41"
            "body": "Please upload a utility bill",
            "commenter": "admin@telnyx.com",
            "commenter_type": "admin",
            "comment_record_type": "sub_number_order",
            "comment_record_id": "so-1",
            "created_at": "2026-11-02T10:00:00Z",
            "updated_at": "2026-11-02T10:00:00.123456+01:00",
            "read_at": None,
            "priority": "high",  # a field the spec does not list yet
        },
        {"id": "42", "body": "thanks", "created_at": "not a date", "commenter_type": "user"},
    ],
    "meta": {"total_pages": 1, "page_number": 1},
}


def test_a_list_read_straight_from_the_body_equals_reading_record_by_record():
    from portal.telnyx.models import Comment

    client = client_answering(httpx.Response(200, json=COMMENTS_PAGE))
    got = client.list_comments("sub_number_order", "so-1")
    expected = [Comment.model_validate(record) for record in COMMENTS_PAGE["data"]]
    assert [c.model_dump() for c in got] == [c.model_dump() for c in expected]
    assert got[0].id == "41" and got[0].get("priority") == "high"
    assert got[0].updated_at.isoformat() == "2026-11-02T09:00:00.123456+00:00"
    assert got[1].created_at is None  # unreadable timestamps are dropped, not fatal


def test_a_list_with_one_unreadable_record_is_an_unexpected_response_naming_the_field():
    page = {"data": [{"id": "1", "body": "ok"}, {"id": "2", "body": {"not": "text"}}]}
    client = client_answering(httpx.Response(200, json=page))
    with pytest.raises(UnexpectedResponseError, match=r"Comment .*body"):
        client.list_comments("sub_number_order", "so-1")


def test_a_list_answer_that_is_not_json_is_an_unexpected_response():
    client = client_answering(httpx.Response(200, text="<html>gateway</html>"))
    with pytest.raises(UnexpectedResponseError, match="not JSON"):
        client.list_comments("sub_number_order", "so-1")


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": {"id": "o1", "status": NaN}}',
        b'{"data": {"id": "o1", "phone_numbers_count": 1e999999}}',
        b'{"data": {"id": "o1", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
        b'{"data": {"id": "o1\\u0000"}}',
    ],
)
def test_p53_an_answer_we_could_not_store_is_an_unexpected_response(body):
    """Telnyx's JSON is read with the same bounded reader as webhooks: nothing Python accepts
    but PostgreSQL refuses reaches the mirror (a NaN in a JSON column fails the whole sync)."""
    client = client_answering(httpx.Response(200, content=body))
    with pytest.raises(UnexpectedResponseError, match="not JSON"):
        client.get_number_order("o1")
    search = client_answering(httpx.Response(200, content=body))
    with pytest.raises(UnexpectedResponseError, match="not JSON"):
        search.search_numbers(country_code="US")
