"""Exit criteria by area and year (data, editable by an administrator or a county with
``standards.edit``), the policy period after exit by area and exit year, and the
return-to-poverty cases (the reason recorded when the case starts)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.identification.models import padded

from . import rules


class ExitCriteria(models.Model):
    """The exit criteria of an area from a year: the most specific area wins. ``items``
    is the list of items with their parameters and sources (see rules.check_items)."""

    name = models.CharField(_("name"), max_length=120)
    area_prefix = models.CharField(_("area (code prefix)"), max_length=12, blank=True,
                                   help_text=_("Empty for the whole country; 2 digits a province, 4 a city, "
                                               "6 a county."))
    from_year = models.PositiveSmallIntegerField(_("from year"))
    to_year = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    items = models.JSONField(_("items"), default=list)
    source = models.TextField(_("source document"))
    note = models.TextField(_("note"), blank=True)
    is_example = models.BooleanField(_("example only (demo data, not a real standard)"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("exit criteria")
        verbose_name_plural = _("exit criteria")
        ordering = ["area_prefix", "-from_year"]
        constraints = [models.UniqueConstraint(fields=["area_prefix", "from_year"], name="exit_criteria_area_year")]

    def __str__(self):
        return self.name

    @property
    def area_code(self) -> str:
        return padded(self.area_prefix)

    def as_row(self) -> dict:
        return {"id": self.pk, "area_prefix": self.area_prefix, "from_year": self.from_year, "to_year": self.to_year,
                "items": self.items, "name": self.name}

    def item(self, code: str) -> dict | None:
        for i in self.items:
            if i.get("code") == code and i.get("enabled"):
                return i
        return None


class PolicyPeriod(models.Model):
    """How long a household that exits in an area in a year keeps its policies."""

    KIND_CHOICES = list(rules.PERIOD_KINDS.items())

    name = models.CharField(_("name"), max_length=120)
    area_prefix = models.CharField(_("area (code prefix)"), max_length=12, blank=True)
    from_year = models.PositiveSmallIntegerField(_("exits from year"))
    to_year = models.PositiveSmallIntegerField(_("exits to year"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=KIND_CHOICES)
    years = models.PositiveSmallIntegerField(_("years after the exit"), null=True, blank=True)
    until = models.DateField(_("ends on"), null=True, blank=True)
    source = models.TextField(_("source document"))
    note = models.TextField(_("note"), blank=True)
    is_example = models.BooleanField(_("example only (demo data, not a real standard)"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("policy period after exit")
        ordering = ["area_prefix", "-from_year"]
        constraints = [models.UniqueConstraint(fields=["area_prefix", "from_year"], name="policy_period_area_year")]

    def __str__(self):
        return self.name

    @property
    def area_code(self) -> str:
        return padded(self.area_prefix)

    def as_row(self) -> dict:
        return {"id": self.pk, "area_prefix": self.area_prefix, "from_year": self.from_year, "to_year": self.to_year,
                "kind": self.kind, "years": self.years, "until": self.until, "name": self.name}


class ReturnCase(models.Model):
    """A household that fell back into poverty (返贫): the reason and the date it was
    found, recorded when its return procedure starts; the household becomes
    ``returned`` when the procedure completes."""

    OPEN, DONE, STOPPED = "open", "completed", "stopped"
    STATUS_CHOICES = [(OPEN, _("In progress")), (DONE, _("Returned")), (STOPPED, _("Did not complete"))]

    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="return_cases")
    area_code = models.CharField(max_length=15, db_index=True)
    batch = models.OneToOneField("procedures.ProcedureBatch", models.PROTECT, related_name="return_case")
    cause = models.CharField(_("cause"), max_length=2, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    occurred_on = models.DateField(_("found on"))
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES, default=OPEN, db_index=True)
    completed_on = models.DateField(_("returned on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("return case")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.household} · {self.reason[:40]}"
