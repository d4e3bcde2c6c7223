"""Profile names and address labels encrypted like the values (P51); submissions get the
``purged_at`` tombstone of retention (P45). Existing names and labels are encrypted in place."""

from typing import Any

from django.db import migrations, models

import compliance.encrypted_fields

TABLES = (("compliance_complianceprofile", "name"), ("compliance_savedaddress", "label"))


def encrypt_existing(apps: Any, schema_editor: Any) -> None:
    from portal.encryption import encrypt

    with schema_editor.connection.cursor() as cursor:
        for table, column in TABLES:
            cursor.execute(f"SELECT id, {column} FROM {table}")  # noqa: S608
            for pk, plain in cursor.fetchall():
                if plain and not plain.startswith("gAAAAA"):  # not yet a Fernet token
                    token = encrypt(plain.encode()).decode()
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                        [token, pk],
                    )


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0003_search_tokens"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="complianceprofile",
            options={"ordering": ["-created_at"]},
        ),
        migrations.AlterModelOptions(
            name="savedaddress",
            options={"ordering": ["-created_at"], "verbose_name_plural": "saved addresses"},
        ),
        migrations.AddField(
            model_name="submission",
            name="purged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="complianceprofile",
            name="name",
            field=compliance.encrypted_fields.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="savedaddress",
            name="label",
            field=compliance.encrypted_fields.EncryptedTextField(),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop, elidable=True),
    ]
