"""Response headers for pages and fragments that show personal data (P32, P42)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers


def mark_private(response: HttpResponse) -> HttpResponse:
    """No caching anywhere; the answer differs between a full page and an HTMX fragment."""
    patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
    patch_vary_headers(response, ["HX-Request"])
    return response


def pii_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a view whose pages or fragments show personal data."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return mark_private(view(request, *args, **kwargs))

    return wrapper
