"""registry_household and registry_statuschange: fewer, plainer indexes (measured on the
province benchmark: every index is rebuilt by a province's first import and maintained by
every write).

- household.area_code and household.county_code lose their own indexes and their
  ``varchar_pattern_ops`` twins: each is the first column of the (area_code, status) and
  (county_code, status) indexes, which serve the same lookups, and areas are compared as
  ranges, never with LIKE (docs/decisions.md);
- household.head_name and household.status, statuschange.area_code keep one plain B-tree each
  and lose the twin (they are compared with =);
- statuschange.household loses its own index: it is the first column of (household, date).
The household number keeps its twin (search and monitoring look numbers up by prefix).

As in 0004 the database side is written by hand: existing plain indexes are renamed, not
rebuilt (a loaded registry), and the foreign key of statuschange is left alone (the generated
AlterField would drop and re-create it, checking every row again)."""

from django.db import migrations, models

# (table, column, the plain index to keep under this name, or None: drop every index of the column)
PLAN = [
    ("registry_household", "area_code", None),
    ("registry_household", "county_code", None),
    ("registry_household", "head_name", "household_head_name"),
    ("registry_household", "status", "household_status"),
    ("registry_statuschange", "area_code", "statuschange_area_code"),
    ("registry_statuschange", "household_id", None),
]


def forwards(apps, schema_editor):
    conn = schema_editor.connection
    qn = schema_editor.quote_name
    for table, column, new_name in PLAN:
        with conn.cursor() as cursor:
            constraints = conn.introspection.get_constraints(cursor, table)
        if new_name in constraints:
            continue
        found = [name for name, c in constraints.items()
                 if c["columns"] == [column] and c["index"] and not c["unique"] and not c["primary_key"]
                 and not c.get("foreign_key")]
        twins = [n for n in found if n.endswith("_like")]
        plain = [n for n in found if not n.endswith("_like")]
        keep = plain[0] if plain and new_name and conn.vendor == "postgresql" else None
        for name in twins + [n for n in plain if n != keep]:
            schema_editor.execute(f"DROP INDEX {qn(name)}")
        if keep:
            schema_editor.execute(f"ALTER INDEX {qn(keep)} RENAME TO {qn(new_name)}")
        elif new_name:
            schema_editor.execute(f"CREATE INDEX {qn(new_name)} ON {qn(table)} ({qn(column)})")


def backwards(apps, schema_editor):
    qn = schema_editor.quote_name
    for table, column, new_name in PLAN:
        if new_name:
            schema_editor.execute(f"DROP INDEX IF EXISTS {qn(new_name)}")
        schema_editor.execute(f"CREATE INDEX {qn(table + '_' + column + '_idx')} ON {qn(table)} ({qn(column)})")


class Migration(migrations.Migration):

    dependencies = [
        ("areas", "0001_initial"),
        ("registry", "0005_search_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="household",
                    name="area_code",
                    field=models.CharField(max_length=15, verbose_name="area code"),
                ),
                migrations.AlterField(
                    model_name="household",
                    name="county_code",
                    field=models.CharField(editable=False, max_length=6, verbose_name="county code"),
                ),
                migrations.AlterField(
                    model_name="household",
                    name="head_name",
                    field=models.CharField(blank=True, max_length=60, verbose_name="head of household"),
                ),
                migrations.AlterField(
                    model_name="household",
                    name="status",
                    field=models.CharField(default="registered", max_length=14, verbose_name="status"),
                ),
                migrations.AlterField(
                    model_name="statuschange",
                    name="area_code",
                    field=models.CharField(max_length=15),
                ),
                migrations.AlterField(
                    model_name="statuschange",
                    name="household",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.CASCADE,
                                            related_name="status_changes", to="registry.household"),
                ),
                migrations.AddIndex(
                    model_name="household",
                    index=models.Index(fields=["head_name"], name="household_head_name"),
                ),
                migrations.AddIndex(
                    model_name="household",
                    index=models.Index(fields=["status"], name="household_status"),
                ),
                migrations.AddIndex(
                    model_name="statuschange",
                    index=models.Index(fields=["area_code"], name="statuschange_area_code"),
                ),
            ],
        ),
    ]
