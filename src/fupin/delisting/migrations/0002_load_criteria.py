"""Load the shipped criteria and regions (data/*.json): only rows not yet in the
database, so an administrator's edits are never overwritten."""

from django.db import migrations


def load(apps, schema_editor):
    from fupin.delisting.loading import load as load_data

    load_data(apps)


class Migration(migrations.Migration):
    dependencies = [("delisting", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
