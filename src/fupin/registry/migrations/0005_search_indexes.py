"""The index of the household search by the last digits of an ID number at province
scale (see queries.find_households): ``member_id_rev_cover`` replaces
``member_id_rev_like``, the same pattern index on the reversed ID number (the last digits
as a prefix), now carrying the area code and the household (INCLUDE on PostgreSQL; SQLite
builds a plain index: ``CoveringIndex``). "Which households have a member whose ID ends
in 0017" is read from the index alone, however many members match."""

from django.db import migrations

import fupin.registry.models


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0001_initial'),
        ('registry', '0004_member_plain_indexes'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='member',
            index=fupin.registry.models.CoveringIndex(covering=('area_code', 'household'), fields=['id_rev'],
                                                      name='member_id_rev_cover', opclasses=['varchar_pattern_ops']),
        ),
        migrations.RemoveIndex(
            model_name='member',
            name='member_id_rev_like',
        ),
    ]
