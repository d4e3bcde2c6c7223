"""What every page's navigation needs from compliance: the inbox's unread count (lazily: one
query, only on pages that show the nav to someone who may read the inbox)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

from compliance.access import VIEW_PERM


def inbox(request: HttpRequest) -> dict[str, Any]:
    @cache
    def unread() -> int | None:
        user = getattr(request, "user", None)
        if user is None or not user.has_perm(VIEW_PERM):
            return None
        from compliance import inbox as inbox_module

        return inbox_module.unread_count()

    return {"inbox_unread": unread}
