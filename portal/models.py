"""Project-wide permissions that belong to no app's model.

``portal`` keeps no data of its own: ``PortalAccess`` is unmanaged (no table) and exists only so
that permissions such as "may use the admin site" can be granted to a group like any other.
"""

from django.db import models


class PortalAccess(models.Model):
    """Holder of project-wide permissions (no table)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("use_admin", "Can use the Django admin site")]
        verbose_name = "portal access"

    def __str__(self) -> str:
        return "portal access"
