"""Query encoding and paging.

Every Telnyx filter is one deepObject parameter: ``filter[key]=v`` or ``filter[key][sub]=v``.
A filter sent without the wrapper is silently ignored and the API returns unfiltered results
(telnyx-node#289), so callers never build these names themselves: they pass Python keywords
(``created_at__gt=...`` or ``created_at={"gt": ...}``) and this module writes the wire form.
Booleans go as ``true``/``false``; lists are comma-joined, as the official SDK sends them.

Paging is ``page[number]``/``page[size]`` (max 250) except ``/inexplicit_number_orders``, which
takes flat ``page_number``/``page_size``. Some lists return ``meta`` without declaring page
parameters; for those the first page is fetched without any and more pages are asked for only if
``meta`` says there are more, stopping if the API ignores the page number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from portal.telnyx.http import Transport

T = TypeVar("T")
MAX_PAGE_SIZE = 250


def wire_value(value: Any) -> str:
    """One query value as Telnyx expects it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(wire_value(v) for v in value)
    return str(value)


def encode_deep(prefix: str, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``{"created_at": {"gt": x}, "status": "pending"}`` under ``filter`` becomes
    ``[("filter[created_at][gt]", x), ("filter[status]", "pending")]``; ``None`` is skipped.

    A keyword ``created_at__gt`` is the same as ``created_at={"gt": ...}``."""
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        if value is None:
            continue
        parts = key.split("__")
        name = prefix + "".join(f"[{p}]" for p in parts)
        if isinstance(value, Mapping):
            pairs.extend(encode_deep(name, value))
        else:
            pairs.append((name, wire_value(value)))
    return pairs


def filter_params(filters: Mapping[str, Any] | None = None, **more: Any) -> list[tuple[str, str]]:
    merged: dict[str, Any] = dict(filters or {})
    merged.update(more)
    return encode_deep("filter", merged)


def _data(payload: Any) -> list[Any]:
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        data = payload.get("data")
        if isinstance(data, list):
            return data
    return []


def _total_pages(payload: Any) -> int | None:
    meta = payload.get("meta") if isinstance(payload, dict) else None
    if not isinstance(meta, dict):
        return None
    total = meta.get("total_pages")
    try:
        return int(total) if total is not None else None
    except (TypeError, ValueError):
        return None


def iter_pages(
    transport: Transport,
    path: str,
    parse: Callable[[Any], T],
    *,
    params: list[tuple[str, str]] | None = None,
    page_size: int = MAX_PAGE_SIZE,
    style: str = "deep",
    max_pages: int = 10_000,
) -> Iterator[T]:
    """Yield every item of every page of ``GET path``.

    ``style``: ``"deep"`` (page[number]/page[size]), ``"flat"`` (page_number/page_size) or
    ``"undeclared"`` (first page plain, later pages only when ``meta`` promises them).
    """
    base = list(params or [])
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    number = 1
    previous_ids: list[Any] | None = None
    while number <= max_pages:
        query = list(base)
        if style == "deep":
            query += [("page[number]", str(number)), ("page[size]", str(size))]
        elif style == "flat":
            query += [("page_number", str(number)), ("page_size", str(size))]
        elif number > 1:
            query += [("page[number]", str(number))]
        payload = transport.request("GET", path, params=query).json()
        items = _data(payload)
        ids = [item.get("id") if isinstance(item, dict) else item for item in items]
        if previous_ids is not None and ids == previous_ids:
            return  # the API ignored the page number: we have everything it will give
        for item in items:
            yield parse(item)
        total = _total_pages(payload)
        if not items:
            return
        if total is not None:
            if number >= total:
                return
        elif style == "undeclared" or len(items) < size:
            return
        previous_ids = ids
        number += 1
