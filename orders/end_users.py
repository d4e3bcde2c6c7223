"""End-user names for order titles and lists, from whoever knows them.

The end user's (or business's) name is a requirement value that compliance holds, encrypted;
``orders`` does not import ``compliance``, so compliance registers a provider here when it
starts (``ComplianceConfig.ready``). A provider answers for a page of orders at once (a fixed
number of queries, decrypting only that page's rows); an order nobody names gets no entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Provider = Callable[[list[int]], dict[int, str]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def names(order_ids: Iterable[int]) -> dict[int, str]:
    """Order pk -> end-user name, for the orders some provider can name."""
    ids = sorted({int(i) for i in order_ids if i is not None})
    found: dict[int, str] = {}
    if not ids:
        return found
    for provider in _providers:
        for pk, name in provider(ids).items():
            found.setdefault(pk, name)
    return found


def attach(orders: Iterable[Any]) -> None:
    """Set ``end_user_name`` ("" when unknown) on each order of a page."""
    orders = list(orders)
    known = names(o.pk for o in orders)
    for order in orders:
        order.end_user_name = known.get(order.pk, "")
