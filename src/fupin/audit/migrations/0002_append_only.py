"""The audit tables refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL) at the database
itself, on both databases.

The one exception is the table ``audit_maintenance``: while it has a row, the
triggers let changes through. No code path of the application writes it; the test
suite fills it so that Django can empty tables between transactional tests, and an
operator purging old events by law would do the same by hand, in SQL."""

from django.db import migrations

TABLES = ["audit_auditevent", "audit_audititem"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute("CREATE TABLE audit_maintenance (reason varchar(200) NOT NULL)")
    if vendor == "postgresql":
        schema_editor.execute(
            """
            CREATE OR REPLACE FUNCTION fupin_audit_append_only() RETURNS trigger AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM audit_maintenance) THEN
                    RETURN NULL;
                END IF;
                RAISE EXCEPTION 'the audit log is append-only (% on %)', TG_OP, TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql;
            """,
            params=None,  # no parameters: the % in RAISE are PL/pgSQL's, not placeholders
        )
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION fupin_audit_append_only();"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            for op in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance) "
                    f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
                )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        elif vendor == "sqlite":
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op};")
    schema_editor.execute("DROP TABLE audit_maintenance")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
