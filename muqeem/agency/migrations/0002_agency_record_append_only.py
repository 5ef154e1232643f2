"""On PostgreSQL, the log of agency facts refuses UPDATE and DELETE in the database itself, like the
audit log and the ledger: a change of a fact is a new row, never an edit of an old one."""

from django.db import migrations

TABLE = "agency_agencyrecord"

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
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION muqeem_append_only();"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")


class Migration(migrations.Migration):
    dependencies = [
        ("agency", "0001_initial"),
        ("audit", "0010_append_only_triggers"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
