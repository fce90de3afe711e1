"""registry_member: the four indexed text columns (area code, name, pinyin, ID number) keep
one plain B-tree each, without the ``varchar_pattern_ops`` twin Django adds on PostgreSQL
(every write paid for eight indexes where four serve: areas are compared as ranges, names
and ID numbers with =, and the databases use the C collation).

The database side is written by hand: the generated AlterField would also drop the partial
unique index ``member_active_id_unique`` on PostgreSQL. Existing plain indexes are renamed
(no rebuild on a loaded registry); only the twins are dropped."""

from django.db import migrations, models

FIELDS = [
    ("area_code", "member_area_code"),
    ("name", "member_name"),
    ("name_pinyin", "member_name_pinyin"),
    ("id_number", "member_id_number"),
]
KEEP = {"member_active_id_unique", "member_id_rev_like"}


def forwards(apps, schema_editor):
    conn = schema_editor.connection
    qn = schema_editor.quote_name
    table = "registry_member"
    with conn.cursor() as cursor:
        constraints = conn.introspection.get_constraints(cursor, table)
    for column, new_name in FIELDS:
        found = [
            name
            for name, c in constraints.items()
            if c["columns"] == [column]
            and c["index"]
            and not c["unique"]
            and not c["primary_key"]
            and name not in KEEP
            and name != new_name
        ]
        twins = [n for n in found if n.endswith("_like")]
        plain = [n for n in found if not n.endswith("_like")]
        for name in twins + plain[1:]:
            schema_editor.execute(f"DROP INDEX {qn(name)}")
        if new_name in constraints:
            continue
        if plain and conn.vendor == "postgresql":
            schema_editor.execute(f"ALTER INDEX {qn(plain[0])} RENAME TO {qn(new_name)}")
        else:
            if plain:
                schema_editor.execute(f"DROP INDEX {qn(plain[0])}")
            schema_editor.execute(f"CREATE INDEX {qn(new_name)} ON {qn(table)} ({qn(column)})")


def backwards(apps, schema_editor):
    qn = schema_editor.quote_name
    for _column, new_name in FIELDS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {qn(new_name)}")
    for column, _new in FIELDS:
        schema_editor.execute(
            f"CREATE INDEX {qn('registry_member_' + column + '_idx')} ON {qn('registry_member')} "
            f"({qn(column)})"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_quality_run_params"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="member",
                    name="area_code",
                    field=models.CharField(max_length=15, verbose_name="area code"),
                ),
                migrations.AlterField(
                    model_name="member",
                    name="id_number",
                    field=models.CharField(blank=True, max_length=18, null=True, verbose_name="ID number"),
                ),
                migrations.AlterField(
                    model_name="member",
                    name="name",
                    field=models.CharField(max_length=60, verbose_name="name"),
                ),
                migrations.AlterField(
                    model_name="member",
                    name="name_pinyin",
                    field=models.CharField(blank=True, editable=False, max_length=120),
                ),
                migrations.AddIndex(
                    model_name="member",
                    index=models.Index(fields=["area_code"], name="member_area_code"),
                ),
                migrations.AddIndex(
                    model_name="member",
                    index=models.Index(fields=["name"], name="member_name"),
                ),
                migrations.AddIndex(
                    model_name="member",
                    index=models.Index(fields=["name_pinyin"], name="member_name_pinyin"),
                ),
                migrations.AddIndex(
                    model_name="member",
                    index=models.Index(fields=["id_number"], name="member_id_number"),
                ),
            ],
        ),
    ]
