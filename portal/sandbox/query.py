"""Query-string conventions of the Telnyx API: deepObject ``filter[...]`` and ``page[...]``.

Only the wrapped form counts as a filter (``country_code=DE`` is ignored, as Telnyx ignores it);
``page[number]``/``page[size]`` and the flat ``page_number``/``page_size`` both page.

Every encoding a real client sends is read the same way: an array value may come repeated
(``a=x&a=y``, the spec's form), bracketed (``a[]=x&a[]=y``, third-party code) or comma-joined
(``a=x,y``, Telnyx's own SDKs); booleans as ``true``/``false`` or ``1``/``0``; date-times with
``Z`` or an offset. Errors name the parameter as the spec does (``sort``, not ``sort[]``) or as
the client sent it (``page_number`` where it paged with the flat form).
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import fail

_KEY = re.compile(r"^([A-Za-z_][\w.]*)((?:\[[^\]]*\])*)$")


class Query:
    """Parsed query string: flat values plus nested dicts for bracketed keys."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.pairs = parse_qsl(raw, keep_blank_values=True)
        self.flat: dict[str, list[str]] = {}
        self.nested: dict[str, Any] = {}
        for key, value in self.pairs:
            self.flat.setdefault(key, []).append(value)
            match = _KEY.match(key)
            if not match or not match.group(2):
                continue
            parts = [match.group(1), *re.findall(r"\[([^\]]*)\]", match.group(2))]
            listed = parts[-1] == ""  # filter[features][]=sms: one item of the parent's list
            if listed:
                parts = parts[:-1]
            node = self.nested
            for part in parts[:-1]:
                nxt = node.get(part)
                if not isinstance(nxt, dict):
                    nxt = {}
                    node[part] = nxt
                node = nxt
            last = parts[-1]
            existing = node.get(last)
            if isinstance(existing, list):
                existing.append(value)
            elif last in node and not isinstance(existing, dict):
                node[last] = [existing, value]
            else:
                node[last] = [value] if listed else value

    def get(self, key: str) -> str | None:
        values = self.flat.get(key)
        return values[-1] if values else None

    def array(self, name: str) -> list[str]:
        """A flat array parameter, in the order sent: ``a=x&a=y``, ``a[]=x`` or ``a=x,y``."""
        return [
            part.strip()
            for key, value in self.pairs
            if key in (name, name + "[]")
            for part in value.split(",")
            if part.strip()
        ]

    def filter(self, *path: str) -> Any:
        node: Any = self.nested.get("filter")
        for part in path:
            if not isinstance(node, dict):
                return None
            node = node.get(part)
        return node

    def filter_str(self, *path: str) -> str | None:
        value = self.filter(*path)
        if isinstance(value, list):
            value = value[-1] if value else None
        if isinstance(value, dict):
            return None
        return value

    def filter_bool(self, *path: str) -> bool | None:
        value = self.filter_str(*path)
        if value is None or value == "":
            return None
        lowered = value.lower()
        if lowered in {"true", "1"}:
            return True
        if lowered in {"false", "0"}:
            return False
        param = "filter" + "".join(f"[{p}]" for p in path)
        raise fail(400, "10015", f"{param} must be true or false.", parameter=param)

    def filter_list(self, *path: str) -> list[str]:
        value = self.filter(*path)
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        out: list[str] = []
        for item in items:
            if isinstance(item, str):
                out.extend(part.strip() for part in item.split(",") if part.strip())
        return out


def _int_param(query: Query, names: tuple[str, ...], default: int) -> tuple[int, str]:
    """The first of ``names`` the query has, as an integer, and the name it came under."""
    for name in names:
        raw = query.get(name)
        if raw is None:
            continue
        try:
            return int(raw), name
        except ValueError:
            raise fail(400, "10015", f"{name} must be an integer.", parameter=name) from None
    return default, names[0]


def paginate(
    query: Query, items: list[Any], default_size: int = 20
) -> tuple[list[Any], dict[str, int]]:
    """Slice a list by page parameters; returns the page and Telnyx's ``meta``."""
    number, number_name = _int_param(query, ("page[number]", "page_number"), 1)
    size, size_name = _int_param(query, ("page[size]", "page_size"), default_size)
    if number < 1:
        raise fail(400, "10015", f"{number_name} must be at least 1.", parameter=number_name)
    if size < 1 or size > 250:
        raise fail(400, "10015", f"{size_name} must be between 1 and 250.", parameter=size_name)
    total = len(items)
    start = (number - 1) * size
    meta = {
        "page_number": number,
        "page_size": size,
        "total_pages": max(1, math.ceil(total / size)),
        "total_results": total,
    }
    return items[start : start + size], meta


def whole(items: list[Any]) -> dict[str, int]:
    """``meta`` for the lists Telnyx does not page (everything on one page)."""
    return {
        "page_number": 1,
        "page_size": max(1, len(items)),
        "total_pages": 1,
        "total_results": len(items),
    }
