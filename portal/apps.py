"""App configs of the project package: checks, the roles sync, and our admin site."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class PortalConfig(AppConfig):
    """Hosts project-wide management commands, checks, the roles sync and templates."""

    default = True
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from portal import (
            checks,  # noqa: F401  (registers system checks)
            security_events,  # noqa: F401  (connects the sign-in receivers, P44)
        )
        from portal.roles import sync_group_permissions

        # Runs after every app's own post_migrate (permissions exist by then for the apps
        # migrated so far); the sync is idempotent, so running it once per app is harmless.
        post_migrate.connect(sync_group_permissions, dispatch_uid="portal.roles.sync")


class PortalAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with our admin site: managers only, second factor enforced."""

    default = False  # PortalConfig is this module's config for the ``portal`` app

    default_site = "portal.admin_site.PortalAdminSite"
