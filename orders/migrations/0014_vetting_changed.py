"""Since when each number's requirements status holds its value, kept on the number (filled
here from its history, else from when it was mirrored) so the work queue sorts rejections and
reviews by an index instead of reading the history row by row; an index the work queue counts
each vetting state's numbers from (it replaces the single-column one); and one the deadline
board counts each window's numbers from (and the work queue those due soon)."""

import django.utils.timezone
from django.db import migrations, models

FILL = """
UPDATE orders_orderednumber SET requirements_status_changed_at = COALESCE(
    (SELECT max(h.at) FROM orders_numberstatuschange h
     WHERE h.number_id = orders_orderednumber.id AND h.field = 'requirements_status'),
    orders_orderednumber.created_at)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0013_activations"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderednumber",
            name="requirements_status_changed_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=True),
        migrations.AddIndex(
            model_name="orderednumber",
            index=models.Index(
                fields=["requirements_status", "-requirements_status_changed_at", "-id"],
                name="orders_number_vetting_changed",
            ),
        ),
        migrations.AlterField(
            model_name="orderednumber",
            name="requirements_status",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddIndex(
            model_name="orderednumber",
            index=models.Index(
                fields=["requirements_status", "sub_order", "id"], name="orders_number_vetting_sub"
            ),
        ),
        migrations.AddIndex(
            model_name="orderednumber",
            index=models.Index(
                condition=models.Q(("deadline__isnull", False)),
                fields=["deadline", "sub_order", "requirements_status"],
                name="orders_number_due",
            ),
        ),
    ]
