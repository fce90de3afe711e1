from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("jobs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="error_rows",
            field=models.PositiveIntegerField(default=0, verbose_name="rows with errors"),
        ),
    ]
