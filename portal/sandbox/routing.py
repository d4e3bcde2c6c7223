"""A tiny router: handlers register with ``@route(method, template)`` and receive a ``Call``.

Starlette's router would do, but a flat table of compiled patterns is faster and keeps the
per-request overhead low enough for the 500 requests/second target on one core.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import fail
from .query import Query

if TYPE_CHECKING:
    from .state import Sandbox


@dataclass
class Call:
    """One API request as handlers see it."""

    method: str
    path: str
    params: dict[str, str]
    query: Query
    headers: dict[str, str]
    body: bytes

    def json(self, required: bool = True) -> dict[str, Any]:
        """The body as a JSON object (400 with code 10015 when it is not one)."""
        if not self.body.strip():
            if required:
                raise fail(400, "10015", "The request body must be a JSON object.", pointer="/")
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            raise fail(400, "10015", "The request body is not valid JSON.", pointer="/") from None
        if not isinstance(data, dict):
            raise fail(400, "10015", "The request body must be a JSON object.", pointer="/")
        return data


@dataclass
class Raw:
    """A non-JSON answer (CSV, document bytes)."""

    status: int
    content: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["Sandbox", Call], Any]
ROUTES: list[tuple[str, re.Pattern[str], Handler, str]] = []


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    pattern = re.compile("^/v2" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")

    def register(handler: Handler) -> Handler:
        ROUTES.append((method, pattern, handler, template))
        return handler

    return register


def resolve(method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
    """The handler for a request, or ``None``; a known path with another method raises 405."""
    path_known = False
    for m, pattern, handler, _template in ROUTES:
        match = pattern.match(path)
        if match:
            if m == method:
                return handler, match.groupdict()
            path_known = True
    if path_known:
        raise fail(405, "10015", f"{method} is not allowed on {path}.", title="Method not allowed")
    return None
