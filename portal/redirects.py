"""Where a ``next`` parameter may send the browser: a path on this site, nothing else (P53).

``url_has_allowed_host_and_scheme`` lets relative values such as ``x`` through, and
``redirect("x")`` then tries to reverse a URL named ``x``: a 500 for any odd ``next``. A target
here must be a path that starts with one ``/``, on our own host.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, otherwise ``default``."""
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default
