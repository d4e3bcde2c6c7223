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
