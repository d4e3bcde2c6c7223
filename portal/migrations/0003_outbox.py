"""The outbox of portal/outbox.py: one row per job the portal must run against Telnyx."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_groups"),
    ]

    operations = [
        migrations.CreateModel(
            name="OutboxMessage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=64)),
                ("object_id", models.BigIntegerField()),
                ("tasks", models.JSONField(default=list)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for a worker"),
                            ("taken", "Taken by a worker"),
                            ("done", "Done"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("crashes", models.PositiveIntegerField(default=0)),
                ("running", models.BooleanField(default=False)),
                ("publishes", models.PositiveIntegerField(default=0)),
                ("next_attempt_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("taken_at", models.DateTimeField(blank=True, null=True)),
                ("done_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-created_at"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("state", "done"), _negated=True),
                        fields=["next_attempt_at"],
                        name="portal_outbox_due",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "object_id"), name="portal_one_outbox_per_job"
                    )
                ],
            },
        ),
    ]
