"""The two roles of the portal and their permissions, kept in sync on every migrate.

Groups are created by a data migration (``portal/migrations/0002_groups.py``); their permissions
come from ``GROUP_PERMISSIONS`` below and are re-applied after each ``migrate`` (post_migrate),
so adding a permission to a role is a one-line edit here. Views check permissions with
``user.has_perm``/``permission_required``, never group names.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

STAFF = "Compliance staff"
MANAGERS = "Compliance managers"

# Staff work orders, fill requirements, upload documents and comment.
_STAFF_PERMISSIONS = [
    "orders.view_numberorder",
    "orders.add_numberorder",
    "orders.place_numberorder",
    "orders.refresh_numberorder",
    "orders.cancel_own_subnumberorder",
    "orders.view_subnumberorder",
    "orders.view_orderednumber",
    "orders.view_numberstatuschange",
    "orders.view_subordercomment",
    "orders.add_subordercomment",
    "orders.view_numberreservation",
    "orders.add_numberreservation",
    "orders.view_bulkorder",
    "orders.add_bulkorder",
    "compliance.view_document",
    "compliance.add_document",
    "compliance.view_submission",
    "compliance.add_submission",
    "compliance.view_requirementdraft",
    "compliance.add_requirementdraft",
    "compliance.change_requirementdraft",
    "compliance.view_savedaddress",
    "compliance.add_savedaddress",
    "compliance.change_savedaddress",
    "compliance.view_requirementtype",
    "compliance.view_complianceprofile",
]

# Managers do all of that, plus approve and review in the admin and read the audit trail.
_MANAGER_PERMISSIONS = [
    *_STAFF_PERMISSIONS,
    "portal.use_admin",
    "orders.approve_numberorder",
    "orders.cancel_subnumberorder",
    "orders.view_webhookevent",
    "orders.view_syncrun",
    "portal.view_outboxmessage",
    "orders.add_subordersreport",
    "orders.view_subordersreport",
    "orders.download_subordersreport",
    "compliance.approve_submission",
    "compliance.change_submission",
    "compliance.view_submissionitem",
    "compliance.view_auditentry",
    "compliance.view_documentaccess",
    "compliance.change_requirementtype",
    "compliance.view_submissionpolicy",
    "compliance.add_submissionpolicy",
    "compliance.change_submissionpolicy",
    "compliance.add_complianceprofile",
    "compliance.change_complianceprofile",
    "compliance.delete_savedaddress",
    # Beat schedules live in the database so managers can see and change them.
    "django_celery_beat.view_periodictask",
    "django_celery_beat.change_periodictask",
    "django_celery_beat.view_intervalschedule",
    "django_celery_beat.view_crontabschedule",
]

GROUP_PERMISSIONS: dict[str, list[str]] = {
    STAFF: _STAFF_PERMISSIONS,
    MANAGERS: _MANAGER_PERMISSIONS,
}


def sync_group_permissions(**kwargs: Any) -> list[str]:
    """Give each group exactly the permissions listed for it; return the ones not found.

    Permissions of apps not migrated yet are skipped (they appear on a later post_migrate call
    of the same ``migrate`` run); a test asserts that after a full migrate none is missing.
    """
    from django.contrib.auth.models import Group, Permission

    using = kwargs.get("using", "default")
    names = {p for perms in GROUP_PERMISSIONS.values() for p in perms}
    app_labels = {name.split(".", 1)[0] for name in names}
    found = {
        f"{perm.content_type.app_label}.{perm.codename}": perm
        for perm in Permission.objects.using(using)
        .filter(content_type__app_label__in=app_labels)
        .select_related("content_type")
    }
    wanted = {name: found[name] for name in names if name in found}
    missing = sorted(names - set(wanted))
    for name, perm_names in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set([wanted[p] for p in perm_names if p in wanted])
    if missing:
        logger.debug("roles: %d listed permissions not created yet", len(missing))
    return missing
