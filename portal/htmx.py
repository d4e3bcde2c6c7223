"""The request type of a view behind django-htmx's ``HtmxMiddleware`` (for type checkers).

The middleware sets ``request.htmx`` on every request; annotate views with ``HtmxHttpRequest``
(the name the django-htmx docs use) so ``request.htmx.target`` and friends are checked. It lives
here, not in an app, because both ``orders`` and ``compliance`` need it and ``orders`` must not
import ``compliance``.
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as the django-htmx middleware leaves it."""

    htmx: HtmxDetails
