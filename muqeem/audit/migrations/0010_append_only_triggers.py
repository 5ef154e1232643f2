"""On PostgreSQL, the audit log and the ledger refuse UPDATE and DELETE in the database itself, not only
in the application: a row can be added, never changed or removed (corrections are new rows)."""

from django.db import migrations

TABLES = ("audit_auditevent", "fees_ledgerjournal", "fees_ledgerline")

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
    schema_editor.execute("DROP FUNCTION IF EXISTS muqeem_append_only();")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0009_event_type_choices_callable"),
        ("fees", "0007_alter_ledgerline_fee_code_alter_penalty_fee_code"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
