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
``inf`` and fixes its depth limit at 200), so the stdlib parser does the work and one walk,
level by level, checks depth, numbers and strings afterwards (about twice the parser's time;
number hooks called per value made it four times). Integers over Python's 4,300-digit limit are
refused by the parser itself. Every refusal is :class:`JSONRefused`
(a ``ValueError``) with a reason that is safe to show and log (it never quotes the input).
"""

from __future__ import annotations

import json
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


def _bad_text(text: str) -> bool:
    return (not text.isascii() or "\x00" in text) and _BAD_TEXT.search(text) is not None


def _check_tree(value: Any, max_depth: int) -> None:
    """Depth, numbers and strings in one pass, level by level (no recursion, and no Python
    call per number during parsing, which made the reader four times slower than the parser)."""
    level = [value]
    depth = 0
    while level:
        below: list[Any] = []
        containers = False
        for node in level:
            kind = type(node)
            if kind is str:
                if _bad_text(node):
                    raise JSONRefused("a string holds NUL or a lone surrogate")
            elif kind is dict:
                containers = True
                if any(_bad_text(key) for key in node):
                    raise JSONRefused("a string holds NUL or a lone surrogate")
                below.extend(node.values())
            elif kind is list:
                containers = True
                below.extend(node)
            elif kind is float:
                if node - node != 0.0:  # inf (or nan): 1e999999 parses as inf
                    raise JSONRefused("a number is too large")
            elif kind is int and not -MAX_INT <= node <= MAX_INT:
                raise JSONRefused("an integer is too large")
        if containers:
            depth += 1
            if depth > max_depth:
                raise JSONRefused(f"nested deeper than {max_depth} levels")
        level = below


def loads(raw: bytes | str, *, max_bytes: int | None = None, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``raw`` or raise :class:`JSONRefused`; valid input gives what ``json.loads`` gives."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise JSONRefused(f"larger than {max_bytes} bytes")
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except JSONRefused:
        raise
    except RecursionError:
        raise JSONRefused(f"nested deeper than {max_depth} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise JSONRefused("not valid JSON") from None
    _check_tree(value, max_depth)
    return value
