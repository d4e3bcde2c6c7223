"""Make the audit trail and the document access log append-only in PostgreSQL itself (P43).

A trigger refuses UPDATE and DELETE on both tables, so not even raw SQL from the application role
can rewrite history; TRUNCATE (test database flushes) is statement-level and unaffected.
"""

from django.db import migrations

TABLES = ("compliance_auditentry", "compliance_documentaccess")

FUNCTION = """
CREATE OR REPLACE FUNCTION compliance_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION compliance_refuse_change()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS compliance_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
