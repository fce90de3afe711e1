"""One re-check snapshot (the year's frozen figures) per household and year, in the
database. Before, re-check rounds of one year could overlap (a county round over a village
round of the same year), and each closed round froze its own snapshot of the households they
shared; actions.open_recheck now refuses such a round, and close_recheck freezes a household
only once a year.

Duplicates already there are not removed here: which round's figures are the year's is a
decision for the county, not for a migration. If any exist, the migration stops, names the
rounds whose snapshots overlap and says how to remove the extra ones; run ``migrate`` again
after that."""

from django.db import migrations, models
from django.db.models import Count, Exists, OuterRef


def refuse_duplicates(apps, schema_editor):
    Snapshot = apps.get_model("registry", "HouseholdSnapshot")
    db = schema_editor.connection.alias
    twice = Snapshot.objects.using(db).filter(Exists(
        Snapshot.objects.using(db).filter(household=OuterRef("household"), year=OuterRef("year"))
        .exclude(pk=OuterRef("pk"))))
    rows = (twice.values("year", "round_id", "round__area_code").annotate(n=Count("id"))
            .order_by("year", "round_id"))  # one row a round: a few at most
    if not rows:
        return
    problems = [f"year {r['year']}: round {r['round_id']} (area {r['round__area_code']}), {r['n']} households "
                "frozen by another round of the year too" for r in rows]
    raise RuntimeError(
        "registry 0009 stopped: these re-check rounds overlap, and households have more than one snapshot "
        "of the same year:\n  " + "\n  ".join(problems)
        + "\nNothing was changed. Decide, for each year, which round's figures are the year's, and delete the "
        "other round's snapshots of the households both hold, for example with `fupin shell`:\n"
        "  from django.db.models import Exists, OuterRef\n"
        "  from fupin.registry.models import HouseholdSnapshot as S\n"
        "  S.objects.filter(round_id=ROUND).filter(Exists(S.objects.filter(household=OuterRef('household'), "
        "year=OuterRef('year')).exclude(round_id=ROUND))).delete()\n"
        "then run migrate again.")


class Migration(migrations.Migration):
    dependencies = [("registry", "0008_stats_rollup_rural")]

    operations = [
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="householdsnapshot",
            constraint=models.UniqueConstraint(fields=("household", "year"), name="household_snapshot_once_a_year"),
        ),
    ]
