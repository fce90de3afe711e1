"""The dated status history carries the area its household belongs to now, as its members
and incomes do: a household that moves takes its history along (registry.actions.update_household
and the import keep it so from now on). This aligns the rows of households that moved before:
one set-based UPDATE … FROM (PostgreSQL, SQLite ≥ 3.33), touching only the rows that differ."""

from django.db import migrations


def align(apps, schema_editor):
    sc = schema_editor.quote_name(apps.get_model("registry", "StatusChange")._meta.db_table)
    hh = schema_editor.quote_name(apps.get_model("registry", "Household")._meta.db_table)
    schema_editor.execute(
        f"UPDATE {sc} SET area_code = h.area_code FROM {hh} h "  # noqa: S608 - table names from the models
        f"WHERE h.id = {sc}.household_id AND {sc}.area_code <> h.area_code")


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_household_plain_indexes")]

    operations = [migrations.RunPython(align, migrations.RunPython.noop, elidable=True)]
