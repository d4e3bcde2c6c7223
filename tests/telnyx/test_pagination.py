"""Filters always go on the wire wrapped as filter[...] (telnyx-node#289)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from portal.telnyx import pagination
from portal.telnyx.http import Transport
from portal.telnyx.pagination import encode_deep, fetch_page, filter_params, iter_pages


def test_flat_nested_and_double_underscore_filters_are_wrapped():
    pairs = filter_params(
        {"customer_reference": "ref-1", "created_at": {"gt": "2026-01-01"}},
        created_at__lt=datetime(2026, 2, 1, tzinfo=UTC),
        status=None,
    )
    assert pairs == [
        ("filter[customer_reference]", "ref-1"),
        ("filter[created_at][gt]", "2026-01-01"),
        ("filter[created_at][lt]", "2026-02-01T00:00:00+00:00"),
    ]


def test_booleans_are_lowercase_and_lists_comma_joined():
    assert filter_params(best_effort=True, quickship=False, features=["sms", "voice"]) == [
        ("filter[best_effort]", "true"),
        ("filter[quickship]", "false"),
        ("filter[features]", "sms,voice"),
    ]


def test_dotted_telnyx_filter_names_stay_one_key():
    assert encode_deep("filter", {"phone_numbers.starting_number": "+1970"}) == [
        ("filter[phone_numbers.starting_number]", "+1970")
    ]


def _pager(pages, seen):
    def handler(request):
        seen.append(dict(request.url.params))
        number = int(request.url.params.get("page[number]", "1"))
        return httpx.Response(200, json=pages(number))

    return Transport("https://api.example.test/v2", "KEY", transport=httpx.MockTransport(handler))


def test_declared_paging_walks_every_page_at_the_maximum_size():
    seen: list[dict] = []

    def pages(n):
        return {"data": [{"id": f"{n}-{i}"} for i in range(2)], "meta": {"total_pages": 3}}

    items = list(iter_pages(_pager(pages, seen), "number_orders", dict))
    assert [i["id"] for i in items] == ["1-0", "1-1", "2-0", "2-1", "3-0", "3-1"]
    assert [p["page[number]"] for p in seen] == ["1", "2", "3"]
    assert {p["page[size]"] for p in seen} == {"250"}


def test_undeclared_paging_asks_for_250_and_more_pages_only_when_meta_promises_them():
    seen: list[dict] = []

    def pages(n):
        return {"data": [{"id": f"{n}"}], "meta": {"total_pages": 2}}

    items = list(iter_pages(_pager(pages, seen), "comments", dict, style="undeclared"))
    assert [i["id"] for i in items] == ["1", "2"]
    assert seen == [{"page[size]": "250"}, {"page[number]": "2", "page[size]": "250"}]


def test_undeclared_paging_without_meta_stops_after_the_first_page():
    seen: list[dict] = []

    def pages(n):
        return {"data": [{"id": f"{n}-{i}"} for i in range(250)]}

    items = list(iter_pages(_pager(pages, seen), "comments", dict, style="undeclared"))
    assert len(items) == 250
    assert len(seen) == 1


def test_a_list_that_refuses_page_size_is_asked_again_without_it(monkeypatch):
    """Telnyx does not document paging on these lists; should one ever answer 400 to
    ``page[size]``, the list still comes back whole (paged at Telnyx's default)."""
    monkeypatch.setattr(pagination, "_SIZE_REFUSED", set())
    seen: list[dict] = []

    def handler(request):
        params = dict(request.url.params)
        seen.append(params)
        if "page[size]" in params:
            error = {"code": "10015", "title": "Bad page size", "source": {"parameter": "page"}}
            return httpx.Response(400, json={"errors": [error]})
        number = int(params.get("page[number]", "1"))
        return httpx.Response(200, json={"data": [{"id": number}], "meta": {"total_pages": 2}})

    transport = Transport(
        "https://api.example.test/v2", "KEY", transport=httpx.MockTransport(handler)
    )
    assert [
        i["id"] for i in iter_pages(transport, "requirement_types", dict, style="undeclared")
    ] == [1, 2]
    assert seen == [{"page[size]": "250"}, {}, {"page[number]": "2"}]
    # Remembered: the next listing of that path does not ask again.
    seen.clear()
    list(iter_pages(transport, "requirement_types", dict, style="undeclared"))
    assert seen == [{}, {"page[number]": "2"}]


def test_a_first_page_says_which_pages_remain_for_concurrent_callers():
    seen: list[dict] = []

    def pages(n):
        return {"data": [{"id": f"{n}"}], "meta": {"total_pages": 4}}

    first = fetch_page(_pager(pages, seen), "sub_number_orders", dict, style="undeclared")
    assert first.items == [{"id": "1"}]
    assert list(first.later_numbers) == [2, 3, 4]
    third = fetch_page(_pager(pages, seen), "sub_number_orders", dict, number=3, style="undeclared")
    assert third.items == [{"id": "3"}]
    assert list(third.later_numbers) == []


def test_paging_stops_when_the_api_ignores_the_page_number():
    seen: list[dict] = []

    def pages(n):
        return {"data": [{"id": "same"}], "meta": {"total_pages": 5}}

    items = list(iter_pages(_pager(pages, seen), "comments", dict, style="undeclared"))
    assert [i["id"] for i in items] == ["same"]
    assert len(seen) == 2


def test_flat_paging_for_bulk_orders():
    seen: list[dict] = []

    def pages(n):
        return {"data": [], "meta": {"total_pages": 1}}

    list(iter_pages(_pager(pages, seen), "inexplicit_number_orders", dict, style="flat"))
    assert seen == [{"page_number": "1", "page_size": "250"}]
