"""Django admin for managers: documents with preview and access history, submissions with
approve/reject actions and their diff, profiles, the submission policy, and the read-only audit
trail (read-only even for superusers, P43)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from compliance.audit import log_document_access
from compliance.models import (
    AuditEntry,
    ComplianceProfile,
    Document,
    DocumentAccess,
    RequirementGroupLink,
    RequirementType,
    Submission,
    SubmissionPolicy,
)
from orders.phone_search import PhoneSearchMixin
from portal.admin_site import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "target_type", "target_label", "path")
    list_filter = ("action", "target_type")
    search_fields = ("actor_label", "action", "target_id", "target_label", "path")
    date_hierarchy = "at"
    fields = (
        "at",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "method",
        "path",
        "ip",
        "request_id",
        "details",
    )


@admin.register(DocumentAccess)
class DocumentAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "user_label", "purpose", "document", "path", "ip")
    list_filter = ("purpose",)
    search_fields = ("user_label", "document__public_id")
    fields = ("at", "user_label", "purpose", "document", "path", "ip", "request_id")


class DocumentAccessInline(admin.TabularInline):
    model = DocumentAccess
    fields = ("at", "user_label", "purpose", "path")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(PhoneSearchMixin, admin.ModelAdmin):
    list_display = ("short_id", "content_type", "size", "uploaded_by", "uploaded_at", "deleted_at")
    list_filter = ("content_type", "scan_status", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("public_id", "sha256", "sub_order__numbers__phone_number")
    phone_search_paths = ("sub_order__numbers__phone_number",)
    fields = (
        "public_id",
        "preview",
        "original_filename",
        "content_type",
        "size",
        "sha256",
        "page_count",
        "scan_status",
        "sub_order",
        "profile",
        "uploaded_by",
        "uploaded_at",
        "deleted_at",
        "deleted_reason",
    )
    readonly_fields = fields
    inlines = [DocumentAccessInline]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deletion goes through retention, which tombstones the row and audits it (P45).
        return False

    @admin.display(description="Document")
    def short_id(self, obj: Document) -> str:
        return str(obj.public_id)[:8]

    @admin.display(description="Preview")
    def preview(self, obj: Document) -> str:
        if not obj.is_available:
            return "Deleted"
        return format_html(
            '<img src="{}" alt="Preview" width="240"><br><a href="{}">Download</a>',
            obj.get_preview_url(),
            obj.get_download_url(),
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        document = self.get_object(request, object_id)
        if document is not None and response.status_code == 200:
            log_document_access(document, request.user, "admin_view", request)
        response["Cache-Control"] = "no-store"
        return response


class DecisionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="Reason"
    )


@admin.register(Submission)
class SubmissionAdmin(PhoneSearchMixin, admin.ModelAdmin):
    list_display = (
        "short_id",
        "sub_order",
        "number",
        "status",
        "submitted_by",
        "created_at",
        "decided_by",
    )
    list_filter = ("status", "sub_order__country_code")
    # A submission for a whole sub order has no number of its own: its sub order's count.
    search_fields = (
        "public_id",
        "sub_order__telnyx_id",
        "number__phone_number",
        "sub_order__numbers__phone_number",
    )
    phone_search_paths = ("number__phone_number", "sub_order__numbers__phone_number")
    fields = (
        "public_id",
        "sub_order",
        "number",
        "status",
        "submitted_by",
        "created_at",
        "diff_table",
        "decided_by",
        "decided_at",
        "decision_reason",
        "attempts",
        "sent_at",
        "error",
        "error_codes",
        "telnyx_response",
        "decision_buttons",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("compliance.view_submission") or request.user.has_perm(
            "compliance.approve_submission"
        )

    @admin.display(description="Submission")
    def short_id(self, obj: Submission) -> str:
        return str(obj.public_id)[:8]

    @admin.display(description="Changes against the previous submission")
    def diff_table(self, obj: Submission) -> str:
        from compliance.submission import describe_diff

        return describe_diff(obj)

    @admin.display(description="Decision")
    def decision_buttons(self, obj: Submission) -> str:
        if obj.status != Submission.Status.AWAITING_APPROVAL:
            return "-"
        return format_html(
            '<a class="button" href="{}">Approve</a> <a class="button" href="{}">Reject</a>',
            reverse("admin:compliance_submission_decide", args=[obj.pk, "approve"]),
            reverse("admin:compliance_submission_decide", args=[obj.pk, "reject"]),
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        # The diff shows submitted values: personal data, never cached (P42).
        response = super().change_view(request, object_id, form_url, extra_context)
        response["Cache-Control"] = "no-store"
        return response

    def get_urls(self) -> list:
        urls = [
            path(
                "<int:pk>/decide/<str:decision>/",
                self.admin_site.admin_view(self.decide_view),
                name="compliance_submission_decide",
            )
        ]
        return urls + super().get_urls()

    def decide_view(self, request: HttpRequest, pk: int, decision: str) -> HttpResponse:
        """Approve or reject one submission, with a reason (managers only, P15/P35)."""
        from compliance.submission import (
            SAVED_NOT_SENT,
            SubmissionError,
            approve,
            reject,
            waiting_for_broker,
        )

        if not request.user.has_perm("compliance.approve_submission"):
            raise PermissionDenied
        if decision not in {"approve", "reject"}:
            raise PermissionDenied
        submission = self.get_object(request, str(pk))
        if submission is None:
            return redirect("admin:compliance_submission_changelist")
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                if decision == "approve":
                    approve(submission, request.user, form.cleaned_data["reason"], request=request)
                else:
                    reject(submission, request.user, form.cleaned_data["reason"], request=request)
            except SubmissionError as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
            else:
                if decision == "approve" and waiting_for_broker(submission):
                    self.message_user(
                        request, f"Approved. {SAVED_NOT_SENT}", level=messages.WARNING
                    )
                else:
                    self.message_user(request, f"Submission {decision}d.", level=messages.SUCCESS)
            return redirect("admin:compliance_submission_change", submission.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{decision.capitalize()} submission",
            "submission": submission,
            "decision": decision,
            "form": form,
            "opts": self.model._meta,
            "diff": self.diff_table(submission),
        }
        return TemplateResponse(request, "compliance/admin/decide.html", context)


@admin.register(SubmissionPolicy)
class SubmissionPolicyAdmin(admin.ModelAdmin):
    """Turning four-eyes off takes two managers (`compliance.policy`)."""

    list_display = ("__str__", "four_eyes_required", "off_requested_by", "updated_at")
    fields = ("four_eyes_required", "off_requested_by", "off_requested_at")
    readonly_fields = ("off_requested_by", "off_requested_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not SubmissionPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from compliance.policy import PolicyRefused, change_four_eyes

        try:
            outcome = change_four_eyes(request.user, obj.four_eyes_required, request=request)
        except PolicyRefused as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
        else:
            self.message_user(request, outcome, level=messages.INFO)

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        # Without Django's generic "changed successfully", which a pending request is not.
        return redirect("admin:compliance_submissionpolicy_changelist")


@admin.register(RequirementType)
class RequirementTypeAdmin(ReadOnlyAdmin):
    list_display = ("name", "field_type", "telnyx_id", "refreshed_at")
    list_filter = ("field_type",)
    search_fields = ("name", "telnyx_id", "description")


class RequirementGroupInline(admin.TabularInline):
    model = RequirementGroupLink
    fields = ("country_code", "phone_number_type", "action", "status", "expires_at", "telnyx_id")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ComplianceProfile)
class ComplianceProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "created_by", "updated_at")
    list_filter = ("kind",)
    # Names are encrypted (P51): searchable by id only.
    search_fields = ("public_id",)
    fields = ("name", "kind", "created_by", "created_at", "updated_at")
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = [RequirementGroupInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("created_by")
