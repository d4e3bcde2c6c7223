"""URLs of the compliance app (public ids are UUIDs)."""

from django.urls import path

from compliance.views import (
    comments,
    dashboard,
    deadlines,
    documents,
    group_comments,
    groups,
    inbox,
    owners,
    profiles,
    records,
    requirements,
)

app_name = "compliance"

urlpatterns = [
    path("deadlines/", deadlines.board, name="deadlines"),
    path("submissions/", records.submission_list, name="submissions"),
    path("submissions/export.csv", records.submission_export, name="submissions-export"),
    path("audit/", records.audit_list, name="audit"),
    path("audit/export.csv", records.audit_export, name="audit-export"),
    path("picture/", dashboard.dashboard_page, name="dashboard"),
    path("inbox/", inbox.inbox_page, name="inbox"),
    path("inbox/list", inbox.inbox_list, name="inbox-list"),
    path(
        "inbox/sub-orders/<uuid:public_id>/comments/<uuid:comment_id>/read",
        inbox.mark_comment_read,
        name="inbox-comment-read",
    ),
    path(
        "inbox/sub-orders/<uuid:public_id>/read",
        inbox.mark_sub_order_read,
        name="inbox-sub-order-read",
    ),
    path(
        "inbox/groups/<uuid:public_id>/comments/<uuid:comment_id>/read",
        inbox.mark_group_comment_read,
        name="inbox-group-comment-read",
    ),
    path("inbox/groups/<uuid:public_id>/read", inbox.mark_group_read, name="inbox-group-read"),
    path("sub-orders/<uuid:public_id>/", requirements.sub_order_page, name="sub-order"),
    path(
        "sub-orders/<uuid:public_id>/requirements",
        requirements.requirement_form,
        name="requirement-form",
    ),
    path("sub-orders/<uuid:public_id>/owner", owners.sub_order_owner, name="sub-order-owner"),
    path("groups/<uuid:public_id>/owner", owners.group_owner, name="group-owner"),
    path("groups/<uuid:public_id>/comments", group_comments.thread, name="group-comments"),
    path(
        "groups/<uuid:public_id>/comments/read",
        group_comments.mark_read,
        name="group-comments-read",
    ),
    path(
        "groups/<uuid:public_id>/comments/<uuid:comment_id>/read",
        group_comments.mark_one_read,
        name="group-comment-read",
    ),
    path("sub-orders/<uuid:public_id>/comments", comments.thread, name="comments"),
    path("sub-orders/<uuid:public_id>/comments/read", comments.mark_read, name="comments-read"),
    path(
        "sub-orders/<uuid:public_id>/extension",
        comments.request_extension,
        name="request-extension",
    ),
    path(
        "submissions/<uuid:public_id>/retry",
        requirements.submission_retry,
        name="submission-retry",
    ),
    path("documents/upload", documents.upload, name="document-upload"),
    path("documents/<uuid:public_id>/download", documents.download, name="document-download"),
    path("documents/<uuid:public_id>/preview", documents.preview, name="document-preview"),
    path("profiles/", profiles.profile_list, name="profiles"),
    path("profiles/<uuid:public_id>/", profiles.profile_detail, name="profile"),
    path("profiles/<uuid:public_id>/groups", profiles.build_group, name="profile-group"),
    path("groups/<uuid:public_id>/submit", profiles.submit_group, name="group-submit"),
    path("groups/", groups.group_list, name="groups"),
    path("groups/new/", groups.group_new, name="group-new"),
    path("groups/<uuid:public_id>/", groups.group_detail, name="group"),
    path("groups/<uuid:public_id>/edit", groups.group_edit, name="group-edit"),
    path(
        "groups/<uuid:public_id>/request-approval",
        groups.group_request_approval,
        name="group-request-approval",
    ),
    path("groups/<uuid:public_id>/approve", groups.group_approve, name="group-approve"),
    path("groups/<uuid:public_id>/reject", groups.group_reject, name="group-reject"),
]
