"""The statistics rollup: the registry's counts by area, refreshed by a job
(``fupin refresh_stats`` or the statistics page's button), so that a province's or the
country's statistics page reads a few hundred rows instead of scanning millions.

One row is a count of households and people for one area (at one level of the
hierarchy), one "dimension" and one combination of its keys:

=========  ===========================================  ====================================
dim        keys                                         year
=========  ===========================================  ====================================
status     status                                       0 = now; Y = on 31 December of Y
main       status, category, main cause                 0 (now)
any        status, cause (main or one of the others)    0 (now)
flow       status (the status households passed into)   Y = changes dated in Y
rural      profile year used ("none": no profile yet)   the year of a change (0: the start)
left       —                                            0 = now; Y = on 31 December of Y
=========  ===========================================  ====================================

Rows exist for every level from the village (``status`` and ``flow`` only) up to the
county (computed from the registry, one county at a time, ``county_code`` = that county:
the table's distribution key), and for city, province and the whole country (summed
from the rows of the level below).

The incidence rate's denominator is kept as changes, so that it sums upwards like the
counts: a ``rural`` row says by how much the villages whose latest profile is of one year
(``status``, "none" for the villages not yet profiled) and their rural registered
population changed in a year — a village counts +1 in "none" at year 0, and when it is
profiled in Y, −1 in its old profile year (or "none") and +1 with its population in Y.
The sums of the rows up to a year are the villages profiled by then, their population, the
profile years used and the villages left out (incidence.FromRollup). ``households`` and
``people`` of a ``rural`` row are those two changes (villages, population) and may be
negative. A ``left`` row counts a village with no profile at or before the year (now: the
refresh's year) and its poor people then; the village rows of now name them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StatsRollup(models.Model):
    STATUS, MAIN, ANY, FLOW = "status", "main", "any", "flow"
    RURAL, LEFT = "rural", "left"  # the incidence rate's denominator and what it leaves out
    NO_PROFILE = "none"  # the ``status`` of the rural rows of villages without a profile

    county_code = models.CharField(max_length=6, db_index=True)
    level = models.CharField(_("level"), max_length=10)
    area_code = models.CharField(_("area code"), max_length=12)  # "" for the whole country
    year = models.PositiveSmallIntegerField(_("year"), default=0)
    dim = models.CharField(max_length=6)
    status = models.CharField(_("status"), max_length=14, blank=True)
    category = models.CharField(_("category"), max_length=2, blank=True)
    cause = models.CharField(_("cause"), max_length=2, blank=True)
    # (a change, hence signed, in the rural rows: villages and population)
    households = models.IntegerField(_("households"), default=0)
    people = models.IntegerField(_("people"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("statistics rollup row")
        indexes = [models.Index(fields=["level", "area_code", "dim", "year"], name="stats_rollup_lookup"),
                   # the villages the incidence rate leaves out, named on the page (a few per county)
                   models.Index(fields=["level", "year", "area_code"], condition=models.Q(dim="left"),
                                name="stats_rollup_left")]

    def __str__(self):
        return f"{self.level} {self.area_code} {self.dim} {self.year} {self.status}"
