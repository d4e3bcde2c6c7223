"""Turning four-eyes off takes a second manager (the pending request is kept on the policy);
requirement groups are built and submitted as outbox jobs (what to build is kept on the row);
submissions on their way to Telnyx get an outbox job so the new relay carries them (P49)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CHAIN = [
    "compliance.tasks.upload_submission_documents",
    "compliance.tasks.create_submission_addresses",
    "compliance.tasks.patch_submission_requirements",
]


def enqueue_active_submissions(apps, schema_editor):
    from django.utils import timezone

    outbox = apps.get_model("portal", "OutboxMessage")
    submission = apps.get_model("compliance", "Submission")
    active = submission.objects.filter(status__in=["queued", "submitting"])
    for pk in active.values_list("pk", flat=True):
        outbox.objects.get_or_create(
            kind="compliance.submission",
            object_id=pk,
            defaults={"tasks": CHAIN, "next_attempt_at": timezone.now()},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0004_encrypted_names_and_retention_tombstones"),
        ("portal", "0003_outbox"),
        ("orders", "0005_bulk_approval_and_finish"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="requirementgrouplink",
            name="attach_number",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="orders.orderednumber",
            ),
        ),
        migrations.AddField(
            model_name="requirementgrouplink",
            name="attach_sub_order",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="orders.subnumberorder",
            ),
        ),
        migrations.AddField(
            model_name="requirementgrouplink",
            name="pending_job",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "None"),
                    ("build", "Being created at Telnyx"),
                    ("submit", "Being submitted for approval"),
                ],
                default="",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="requirementgrouplink",
            name="requirement_ids",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="submissionpolicy",
            name="off_requested_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="submissionpolicy",
            name="off_requested_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(enqueue_active_submissions, migrations.RunPython.noop),
    ]
