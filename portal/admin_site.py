"""The admin site: for Compliance managers only, behind the portal's own login and OTP (P38).

Entry needs the ``portal.use_admin`` permission (granted to managers by ``portal.roles``), not
``is_staff`` alone, and a verified second factor when ``PORTAL_REQUIRE_OTP`` is on. The admin's
own password form is not offered: anonymous visitors go through the portal login (throttled by
axes), signed-in users without the permission get 403 instead of a second login form.

Every change made through the admin (add, change, delete, bulk action) of every registered
model, ours and third-party alike, is also written to the portal's audit trail
(``portal.audit.record``): Django's own ``LogEntry`` can be edited and deleted by a superuser,
the audit trail cannot (P43). Field names are recorded, never values.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from portal.audit import record


def user_may_use_admin(request: HttpRequest) -> bool:
    """Active user with the admin permission and, where required, a verified device."""
    user = request.user
    if not (user.is_active and user.has_perm("portal.use_admin")):
        return False
    if settings.PORTAL_REQUIRE_OTP:
        is_verified = getattr(user, "is_verified", None)
        return bool(is_verified and is_verified())
    return True


def _changed_fields(message: Any) -> list[str]:
    """The field names in a ``construct_change_message`` list (never the values)."""
    fields: list[str] = []
    for part in message if isinstance(message, list) else []:
        for change in part.values():
            if isinstance(change, dict):
                fields.extend(str(f) for f in change.get("fields", []))
    return fields


class AuditedAdminMixin(admin.ModelAdmin):
    """Mixed into every registered ModelAdmin by ``PortalAdminSite.register``."""

    def _audit(self, request: HttpRequest, action: str, obj: Model, **details: Any) -> None:
        record(request.user, action, obj, request=request, model=obj._meta.label, **details)

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        self._audit(request, "admin.added", obj, fields=_changed_fields(message))
        return entry

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        self._audit(request, "admin.changed", obj, fields=_changed_fields(message))
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            self._audit(request, "admin.deleted", obj)
        return entries

    def response_action(
        self, request: HttpRequest, queryset: Any, *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        # Bulk actions (third-party ones too) may change rows without a LogEntry.
        name = request.POST.get("action", "")
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        response = super().response_action(request, queryset, *args, **kwargs)
        # Deleting asks first, then logs each deletion itself (log_deletions above).
        if name and selected and name != "delete_selected" and name in self.get_actions(request):
            record(
                request.user,
                "admin.action",
                request=request,
                model=self.model._meta.label,
                admin_action=name,
                selected=len(selected),
            )
        return response


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by whoever holds the view permission; never added, changed or deleted, whatever
    the model permissions say (P35, P43)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        return {}


class PortalAdminSite(admin.AdminSite):
    site_header = "Numbers Compliance Portal administration"
    site_title = "Portal admin"
    index_title = "Administration"

    def has_permission(self, request: HttpRequest) -> bool:
        return user_may_use_admin(request)

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        """Register as usual, with every change also written to the audit trail."""
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, AuditedAdminMixin):
            base = type(base.__name__, (AuditedAdminMixin, base), {"__module__": base.__module__})
        super().register(model_or_iterable, base, **options)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))
