"""Telnyx's error envelope: ``{"errors": [{"code", "title", "detail", "source", "meta"}]}``.

Codes are strings, as Telnyx sends them; several errors can travel in one response.
"""

from __future__ import annotations

from typing import Any

TITLES = {
    "10004": "Missing required parameter",
    "10005": "Resource not found",
    "10006": "Invalid ID",
    "10007": "Unexpected error",
    "10009": "Authentication failed",
    "10010": "Authorization failed",
    "10011": "Too many requests",
    "10015": "Bad Request",
    "10016": "Phone number must be in +E.164 format",
    "10017": "Associated resource does not exist",
    "85000": "Number must be searched via API first",
    "85001": "Number is not available",
}


def error(
    code: str,
    detail: str,
    pointer: str | None = None,
    parameter: str | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "code": code,
        "title": title or TITLES.get(code, "Error"),
        "detail": detail,
        "meta": {"url": f"https://developers.telnyx.com/docs/overview/errors/{code}"},
    }
    source = {}
    if pointer is not None:
        source["pointer"] = pointer
    if parameter is not None:
        source["parameter"] = parameter
    if source:
        item["source"] = source
    return item


class ApiError(Exception):
    """Raised by a handler to answer with an error envelope."""

    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{status}: {errors}")
        self.status = status
        self.errors = errors


def fail(status: int, code: str, detail: str, **kw: Any) -> ApiError:
    return ApiError(status, [error(code, detail, **kw)])


def not_found(what: str) -> ApiError:
    return fail(404, "10005", f"The requested {what} was not found.")


def envelope(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"errors": errors}
