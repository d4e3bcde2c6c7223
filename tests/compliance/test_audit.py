"""The audit trail: written through portal.audit, append-only, read-only in admin (P43, P44)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory
from django.urls import reverse

from compliance.models import AppendOnlyError, AuditEntry, Document, DocumentAccess
from portal.audit import record
from tests.fixtures.people import make_person, signed_in_client

pytestmark = pytest.mark.django_db


def test_record_writes_who_what_where_without_the_values(alice):
    request = RequestFactory().post("/orders/123/cancel", HTTP_X_REQUEST_ID="req-1")
    request.user = alice
    record(alice, "sub_order.cancelled", alice, request=request, reason_code="user", count=2)
    entry = AuditEntry.objects.get()
    assert entry.actor == alice
    assert entry.actor_label == "alice"
    assert entry.action == "sub_order.cancelled"
    assert entry.path == "/orders/123/cancel"
    assert entry.method == "POST"
    assert entry.request_id == "req-1"
    assert entry.details == {"reason_code": "user", "count": 2}


def test_p44_control_characters_are_escaped_in_audit_rows(alice):
    request = RequestFactory().get("/x%0aFAKE%20ENTRY%1b[31m")
    record(alice, "probe\r\ninjected", request=request, note="a\nb")
    entry = AuditEntry.objects.get()
    assert "\n" not in entry.path and "\x1b" not in entry.path
    assert "\\x0a" in entry.path
    assert "\r" not in entry.action
    assert entry.details["note"] == "a\\x0ab"


def test_p43_audit_rows_cannot_be_changed_or_deleted_through_the_orm(alice):
    record(alice, "something")
    entry = AuditEntry.objects.get()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(action="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    entry.action = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    assert AuditEntry.objects.get().action == "something"


@pytest.mark.parametrize("table", ["compliance_auditentry", "compliance_documentaccess"])
def test_p43_the_database_refuses_updates_and_deletes(alice, table):
    document = Document.objects.create(content_type="application/pdf", sha256="0" * 64)
    record(alice, "something")
    DocumentAccess.objects.create(document=document, user=alice, purpose="download")
    statements = (f"UPDATE {table} SET path = 'x'", f"DELETE FROM {table}")  # noqa: S608
    for statement in statements:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEntry.objects.count() == 1
    assert DocumentAccess.objects.count() == 1


def test_deleting_a_user_keeps_their_audit_rows(alice):
    record(alice, "something")
    User.objects.filter(pk=alice.pk).delete()
    assert AuditEntry.objects.get().actor_label == "alice"


def test_p43_the_audit_trail_is_read_only_in_admin_even_for_superusers(alice):
    root = make_person("root")
    User.objects.filter(pk=root.pk).update(is_superuser=True, is_staff=True)
    client = signed_in_client(root)
    record(alice, "something")
    entry = AuditEntry.objects.get()
    changelist = client.get(reverse("admin:compliance_auditentry_changelist"))
    assert changelist.status_code == 200
    assert "something" in changelist.content.decode()
    response = client.post(
        reverse("admin:compliance_auditentry_change", args=[entry.pk]), {"action": "x"}
    )
    assert response.status_code == 403
    response = client.post(reverse("admin:compliance_auditentry_delete", args=[entry.pk]))
    assert response.status_code == 403
    assert client.get(reverse("admin:compliance_auditentry_add")).status_code == 403
    assert AuditEntry.objects.get().action == "something"


def test_admin_model_permissions_deny_changes_even_for_superusers():
    from django.contrib import admin

    root = User(username="root", is_superuser=True, is_staff=True, is_active=True)
    request = RequestFactory().get("/admin/")
    request.user = root
    for model in (AuditEntry, DocumentAccess):
        model_admin = admin.site._registry[model]
        assert model_admin.has_view_permission(request)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert model_admin.get_actions(request) == {}
