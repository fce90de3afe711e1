"""At most one village assessment in progress or done per village and year, and at most
one county round (not returned) per county and year, in the database (the actions also
lock the village's or county's area row, so a second caller waits and gets the message).

Before this, two officers assessing at the same moment could open two. Such duplicates
are not removed or changed here: which one is the real procedure is a decision for the
county, not for a migration. If any exist, the migration stops, names them and says how
to close the extra ones; run ``migrate`` again after that."""

from django.db import migrations, models
from django.db.models import Count, Q

VILLAGE_HOLDING = ["assessed", "notice", "noticed", "approved", "announced"]


def refuse_duplicates(apps, schema_editor):
    VillageAssessment = apps.get_model("delisting", "VillageAssessment")
    CountyRound = apps.get_model("delisting", "CountyRound")
    problems = []
    villages = (VillageAssessment.objects.filter(state__in=VILLAGE_HOLDING).values("village_id", "year")
                .annotate(n=Count("id")).filter(n__gt=1).order_by("village_id", "year"))
    for dup in villages:
        rows = VillageAssessment.objects.filter(state__in=VILLAGE_HOLDING, village_id=dup["village_id"],
                                                year=dup["year"]).order_by("id")
        problems.append("village assessments %s (village %s, year %s): states %s" % (
            [r.pk for r in rows], rows[0].area_code, dup["year"], [r.state for r in rows]))
    counties = (CountyRound.objects.filter(~Q(state="returned")).values("county_id", "year")
                .annotate(n=Count("id")).filter(n__gt=1).order_by("county_id", "year"))
    for dup in counties:
        rows = CountyRound.objects.filter(~Q(state="returned"), county_id=dup["county_id"],
                                          year=dup["year"]).order_by("id")
        problems.append("county rounds %s (county %s, year %s): states %s" % (
            [r.pk for r in rows], rows[0].area_code, dup["year"], [r.state for r in rows]))
    if problems:
        raise RuntimeError(
            "delisting 0003 stopped: these villages or counties have more than one assessment open for the "
            "same year (made by two requests at the same moment before this version):\n  "
            + "\n  ".join(problems)
            + "\nNothing was changed. Decide which one is the real procedure and close each other one "
            "(a village assessment: state 'stopped'; a county round: state 'returned'), for example with "
            "`fupin shell` (VillageAssessment.objects.filter(pk=...).update(state='stopped')), then run migrate "
            "again.")


class Migration(migrations.Migration):
    dependencies = [("delisting", "0002_load_criteria")]

    operations = [
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="villageassessment",
            constraint=models.UniqueConstraint(condition=models.Q(state__in=VILLAGE_HOLDING),
                                               fields=("village", "year"), name="village_assessment_once"),
        ),
        migrations.AddConstraint(
            model_name="countyround",
            constraint=models.UniqueConstraint(condition=models.Q(("state", "returned"), _negated=True),
                                               fields=("county", "year"), name="county_round_once"),
        ),
    ]
