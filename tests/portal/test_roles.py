"""The two roles and their permissions, from the data migration and ``portal.roles``."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from portal import roles

pytestmark = pytest.mark.django_db


def test_the_migration_creates_both_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {roles.STAFF, roles.MANAGERS}


def test_every_listed_permission_exists_after_migrate():
    assert roles.sync_group_permissions() == []


def test_groups_hold_exactly_the_listed_permissions():
    for name, listed in roles.GROUP_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        held = {
            f"{app}.{code}"
            for app, code in group.permissions.values_list("content_type__app_label", "codename")
        }
        assert held == set(listed), name


def test_staff_work_orders_and_documents_but_do_not_approve(alice):
    assert alice.has_perm("orders.place_numberorder")
    assert alice.has_perm("compliance.add_document")
    assert alice.has_perm("compliance.add_submission")
    assert not alice.has_perm("compliance.approve_submission")
    assert not alice.has_perm("orders.approve_numberorder")
    assert not alice.has_perm("compliance.view_auditentry")
    assert not alice.has_perm("portal.use_admin")


def test_managers_can_do_what_staff_do_plus_approve_audit_and_admin(maria, alice):
    staff_perms = alice.get_all_permissions()
    assert staff_perms <= maria.get_all_permissions()
    assert maria.has_perm("compliance.approve_submission")
    assert maria.has_perm("compliance.view_auditentry")
    assert maria.has_perm("portal.use_admin")
    assert maria.has_perm("django_celery_beat.change_periodictask")


def test_an_outsider_holds_no_permission(olga):
    assert olga.get_all_permissions() == set()


def test_the_sync_adds_newly_listed_and_removes_unlisted_permissions(monkeypatch):
    staff = Group.objects.get(name=roles.STAFF)
    changed = dict(roles.GROUP_PERMISSIONS)
    changed[roles.STAFF] = ["orders.view_numberorder", "auth.view_user"]
    monkeypatch.setattr(roles, "GROUP_PERMISSIONS", changed)
    roles.sync_group_permissions()
    codes = set(staff.permissions.values_list("codename", flat=True))
    assert codes == {"view_numberorder", "view_user"}


def test_the_sync_recreates_a_deleted_group_and_reports_unknown_permissions(monkeypatch):
    Group.objects.filter(name=roles.MANAGERS).delete()
    changed = dict(roles.GROUP_PERMISSIONS)
    changed[roles.MANAGERS] = ["orders.view_numberorder", "orders.no_such_permission"]
    monkeypatch.setattr(roles, "GROUP_PERMISSIONS", changed)
    assert roles.sync_group_permissions() == ["orders.no_such_permission"]
    assert Group.objects.get(name=roles.MANAGERS).permissions.count() == 1
