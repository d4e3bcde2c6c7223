"""The admin site: for Compliance managers only, behind the portal's own login and OTP (P38).

Entry needs the ``portal.use_admin`` permission (granted to managers by ``portal.roles``), not
``is_staff`` alone, and a verified second factor when ``PORTAL_REQUIRE_OTP`` is on. The admin's
own password form is not offered: anonymous visitors go through the portal login (throttled by
axes), signed-in users without the permission get 403 instead of a second login form.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


def user_may_use_admin(request: HttpRequest) -> bool:
    """Active user with the admin permission and, where required, a verified device."""
    user = request.user
    if not (user.is_active and user.has_perm("portal.use_admin")):
        return False
    if settings.PORTAL_REQUIRE_OTP:
        is_verified = getattr(user, "is_verified", None)
        return bool(is_verified and is_verified())
    return True


class PortalAdminSite(admin.AdminSite):
    site_header = "Numbers Compliance Portal administration"
    site_title = "Portal admin"
    index_title = "Administration"

    def has_permission(self, request: HttpRequest) -> bool:
        return user_may_use_admin(request)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))
