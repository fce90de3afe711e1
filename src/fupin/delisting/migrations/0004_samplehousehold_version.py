"""A version on each sampled household's survey record (optimistic concurrency): two
surveyors saving the same household at once used to overwrite each other silently; the
second is now refused. Existing rows start at version 1."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("delisting", "0003_one_open_assessment"),
    ]

    operations = [
        migrations.AddField(
            model_name="samplehousehold",
            name="version",
            field=models.PositiveIntegerField(default=1),
        ),
    ]
