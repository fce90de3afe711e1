"""The cut-off dates now live in identification (its migration 0003 copied every row)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("comparison", "0002_cutoffs"),
        ("identification", "0003_cutoffdate"),
    ]

    operations = [migrations.DeleteModel(name="CutoffDate")]
