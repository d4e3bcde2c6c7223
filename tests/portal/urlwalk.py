"""Walk the URL conf and build one concrete, resolvable path per pattern."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

SAMPLE_UUID = str(uuid.UUID(int=1))
ROUTE_SAMPLES = {"uuid": SAMPLE_UUID, "int": "1", "slug": "x", "str": "x", "path": "x"}


@dataclass(frozen=True)
class Route:
    path: str
    view_name: str

    def __str__(self) -> str:
        return f"{self.view_name} ({self.path})"


def _route_sample(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: ROUTE_SAMPLES.get(m.group(1) or "str", "x"), route)


def _regex_group_sample(match: re.Match[str]) -> str:
    body = match.group(1)
    if re.fullmatch(r"[\w|]+", body):  # an alternation of literals: take the first
        return body.split("|")[0]
    return "1"


def _regex_sample(regex: str) -> str:
    sample = re.sub(r"\(\?P<\w+>((?:[^()]|\([^()]*\))*)\)", _regex_group_sample, regex)
    return sample.lstrip("^").rstrip("$").replace("\\", "")


def _sample(pattern: URLPattern | URLResolver) -> str:
    p = pattern.pattern
    if isinstance(p, RoutePattern):
        return _route_sample(str(p._route))
    if isinstance(p, RegexPattern):
        return _regex_sample(p._regex)
    raise TypeError(f"unknown pattern type {type(p)!r}")


def _walk(patterns: list, prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + _sample(pattern), ns)
        else:
            name = pattern.name or ""
            full = f"{namespace}:{name}" if namespace and name else name
            yield "/" + prefix + _sample(pattern), full


def all_routes() -> list[Route]:
    """Every URL pattern as a sample path that resolves back to that pattern's view."""
    routes = []
    for path, _name in _walk(get_resolver().url_patterns, "", ""):
        match = resolve(path)  # raises Resolver404 if the sample generator needs teaching
        routes.append(Route(path, match.view_name))
    return routes


def routes_with_ids(
    kwargs_by_name: Mapping[str, Mapping[str, str]], admin_ids: Mapping[str, str]
) -> list[Route]:
    """``all_routes()`` with real objects' ids where a pattern takes one.

    ``kwargs_by_name``: URL name -> kwargs for the app's URLs; ``admin_ids``: admin URL-name
    prefix (``admin:app_model``) -> a primary key, used for the admin's ``object_id``/``pk``.
    """
    routes = []
    for route in all_routes():
        kwargs = dict(resolve(route.path).kwargs)
        admin_prefix = route.view_name.rsplit("_", 1)[0]
        if route.view_name in kwargs_by_name:
            kwargs.update(kwargs_by_name[route.view_name])
        elif admin_prefix in admin_ids and {"object_id", "pk"} & set(kwargs):
            key = "object_id" if "object_id" in kwargs else "pk"
            kwargs[key] = admin_ids[admin_prefix]
        else:
            routes.append(route)  # no id, or no object of that model: the sample path
            continue
        routes.append(Route(reverse(route.view_name, kwargs=kwargs), route.view_name))
    return routes
