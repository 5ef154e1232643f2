"""On PostgreSQL the audit hash chain refuses UPDATE and DELETE in the database itself, like the audit
log (0010): a link can be added, never changed or removed. (TRUNCATE is not refused: test runs flush
tables with it; in production the application's role must not own the tables, see docs/reliability.md.)"""

from django.db import migrations

TABLES = ("audit_auditseal",)

FUNCTION = """
CREATE OR REPLACE FUNCTION muqeem_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
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
            "FOR EACH ROW EXECUTE FUNCTION muqeem_append_only();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")


class Migration(migrations.Migration):
    dependencies = [("audit", "0011_audit_seal")]
    operations = [migrations.RunPython(forwards, backwards)]
