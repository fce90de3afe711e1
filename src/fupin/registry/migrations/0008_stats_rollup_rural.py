"""The statistics rollup keeps the incidence rate's denominator (``rural`` rows: changes,
hence signed counts) and the villages it leaves out (``left`` rows). A rollup written before
has neither, so it is emptied: the statistics are counted live until the next refresh
(``fupin refresh_stats``, the page's button, or an import's), which writes them whole. It is
emptied first (SQLite rebuilds the table for each altered field), and again when the migration
is reversed (its signed rows would break the old fields' checks)."""

from django.db import migrations, models


def empty_rollup(apps, schema_editor):
    apps.get_model("registry", "StatsRollup").objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0007_status_history_follows_the_household'),
    ]

    operations = [
        migrations.RunPython(empty_rollup, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='statsrollup',
            name='households',
            field=models.IntegerField(default=0, verbose_name='households'),
        ),
        migrations.AlterField(
            model_name='statsrollup',
            name='people',
            field=models.IntegerField(default=0, verbose_name='people'),
        ),
        migrations.RunPython(migrations.RunPython.noop, empty_rollup),
        migrations.AddIndex(
            model_name='statsrollup',
            index=models.Index(condition=models.Q(('dim', 'left')), fields=['level', 'year', 'area_code'],
                               name='stats_rollup_left'),
        ),
    ]
