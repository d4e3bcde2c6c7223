"""Shared plumbing for the per-area mixins that make up :class:`TelnyxClient`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from portal.telnyx.creating import create_once
from portal.telnyx.errors import UnexpectedResponseError
from portal.telnyx.http import Transport, decode_json
from portal.telnyx.pagination import Page, fetch_page, filter_params, iter_pages

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def seg(value: Any) -> str:
    """One path segment, percent-encoded so an id can never change the path."""
    text = str(value)
    if not text:
        raise ValueError("an id is required")
    return quote(text, safe="")


_ENVELOPE_KEYS = frozenset({"data", "meta", "metadata"})


def unwrap(payload: Any) -> Any:
    """``{"data": x}`` -> x; bare objects (requirement groups) pass through."""
    if isinstance(payload, dict) and "data" in payload and set(payload) <= _ENVELOPE_KEYS:
        data = payload["data"]
        if isinstance(data, dict | list):
            return data
    return payload


def requirement_values(values: Any) -> list[dict[str, str]]:
    """Normalise ``[{"requirement_id", "field_value"}]``; only those two keys go on the wire."""
    out: list[dict[str, str]] = []
    for item in values or []:
        if isinstance(item, BaseModel):
            item = item.model_dump()
        if not isinstance(item, Mapping):
            raise TypeError("requirement values must be mappings with requirement_id/field_value")
        requirement_id = item.get("requirement_id")
        field_value = item.get("field_value")
        if not requirement_id or field_value is None:
            raise ValueError("each requirement value needs requirement_id and field_value")
        out.append({"requirement_id": str(requirement_id), "field_value": str(field_value)})
    return out


def compact(body: Mapping[str, Any]) -> dict[str, Any]:
    """Drop ``None`` values so optional fields are omitted rather than sent as null."""
    return {k: v for k, v in body.items() if v is not None}


def parse(model: type[M], data: Any) -> M:
    """Validate one record; a shape we cannot read becomes a typed Telnyx error, not a crash."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or "body" for e in exc.errors()[:5])
        raise UnexpectedResponseError(
            f"Telnyx sent a {model.__name__} the portal cannot read (fields: {fields})"
        ) from None


def parser(model: type[M]) -> Callable[[Any], M]:
    return lambda data: parse(model, data)


class Endpoints:
    """Base of the area mixins: typed GET/POST/PATCH/DELETE helpers over one transport."""

    _transport: Transport
    settle_seconds: float = 1.0

    def _json(self, method: str, path: str, *, retry: bool = True, **kw: Any) -> Any:
        response = self._transport.request(method, path, retry=retry, **kw)
        if not response.content:
            return None
        return unwrap(decode_json(response, method, path))

    def _one(self, model: type[M], method: str, path: str, **kw: Any) -> M:
        return parse(model, self._json(method, path, **kw))

    def _many(self, model: type[M], method: str, path: str, **kw: Any) -> list[M]:
        data = self._json(method, path, **kw)
        if not isinstance(data, list):
            raise UnexpectedResponseError(f"Telnyx sent no list of {model.__name__} records")
        return [parse(model, item) for item in data]

    def _delete(self, model: type[M], path: str) -> M | None:
        """DELETE, retried; ``None`` when a retry found the record already gone."""
        response = self._transport.request("DELETE", path)
        if response.status_code == 404 or not response.content:
            return None
        data = unwrap(decode_json(response, "DELETE", path))
        return parse(model, data) if isinstance(data, dict) else None

    def _iter(
        self,
        model: type[M],
        path: str,
        filters: Mapping[str, Any] | None = None,
        *,
        extra: list[tuple[str, str]] | None = None,
        style: str = "deep",
        page_size: int = 250,
    ) -> Iterator[M]:
        params = filter_params(filters) + list(extra or [])
        return iter_pages(
            self._transport,
            path,
            parser(model),
            params=params,
            page_size=page_size,
            style=style,
            model=model,
        )

    def _page(
        self,
        model: type[M],
        path: str,
        filters: Mapping[str, Any] | None = None,
        *,
        number: int = 1,
        style: str = "deep",
        page_size: int = 250,
    ) -> Page[M]:
        """One page of a list, for callers that fetch the later pages concurrently."""
        return fetch_page(
            self._transport,
            path,
            parser(model),
            params=filter_params(filters),
            number=number,
            page_size=page_size,
            style=style,
            model=model,
        )

    def _create(
        self,
        *,
        what: str,
        send: Callable[[], T],
        lookup: Callable[[], T | None],
        reference: str | None,
        resend_if_absent: bool = True,
    ) -> T:
        return create_once(
            self._transport,
            what=what,
            send=send,
            lookup=lookup,
            reference=reference,
            resend_if_absent=resend_if_absent,
            settle_seconds=self.settle_seconds,
        )
