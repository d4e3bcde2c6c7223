"""The one reader for JSON from outside: bounded in size, depth and numbers (PROMISES P48, P53).

Python's ``json.loads`` accepts what PostgreSQL's ``jsonb`` and our own pages cannot take, so a
signed webhook carrying any of it used to be a 500 (or a row that breaks its admin page):

- ``NaN``/``Infinity`` and numbers that overflow to infinity (``1e999999``): not JSON, and
  ``jsonb`` refuses them;
- integers beyond 64 bits: nothing we store or compare needs them;
- ``\\u0000`` and lone surrogates (``\\ud800``) in strings: ``jsonb`` and UTF-8 refuse them;
- nesting thousands deep: ``RecursionError`` while parsing, and every later ``json.loads`` or
  template render of the stored value hits the same wall.

No maintained library checks all of these (pydantic-core's parser turns ``1e999999`` into
``inf`` and fixes its depth limit at 200), so the stdlib parser does the work with its hooks and
one iterative walk checks depth and strings afterwards. Every refusal is :class:`JSONRefused`
(a ``ValueError``) with a reason that is safe to show and log (it never quotes the input).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
MAX_INT = 2**63 - 1
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class JSONRefused(ValueError):
    """The bytes are not JSON we accept; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _refuse_constant(name: str) -> Any:
    raise JSONRefused(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONRefused("a number is too large")
    return value


def _bounded_int(text: str) -> int:
    # Checked on the text first: int() of 5,000 digits is itself refused by Python, slowly.
    if len(text.lstrip("-")) > 19 or abs(value := int(text)) > MAX_INT:
        raise JSONRefused("an integer is too large")
    return value


def _check_tree(value: Any, max_depth: int) -> None:
    """Depth and string checks in one pass, without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if (not node.isascii() or "\x00" in node) and _BAD_TEXT.search(node):
                raise JSONRefused("a string holds NUL or a lone surrogate")
            continue
        if isinstance(node, dict):
            children: Any = node.values()
            for key in node:
                stack.append((key, depth))
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            raise JSONRefused(f"nested deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children)


def loads(raw: bytes | str, *, max_bytes: int | None = None, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``raw`` or raise :class:`JSONRefused`; valid input gives what ``json.loads`` gives."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise JSONRefused(f"larger than {max_bytes} bytes")
    try:
        value = json.loads(
            raw,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except JSONRefused:
        raise
    except RecursionError:
        raise JSONRefused(f"nested deeper than {max_depth} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise JSONRefused("not valid JSON") from None
    _check_tree(value, max_depth)
    return value
