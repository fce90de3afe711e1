"""Village exit (贫困村出列) and county exit (贫困县摘帽).

- ``Region``, ``VillageCriteria``, ``CountyCriteria``: the criteria as data (data/*.json,
  loaded by migration 0002), each value with its source, by area prefix and year.
- ``VillageAssessment``: a village checked against the criteria on a date (the values
  item by item are kept as they were), then its small procedure: township notice
  (``VillageStep`` rows, objections in ``VillageObjection``), county approval,
  announcement.
- ``CountyRound``: a county's exit assessment (第三方评估): a seeded random sample of
  villages (``SampleVillage``) and households (``SampleHousehold``, which also holds the
  survey record), the rates computed from the records, and the dated steps
  (``CountyStep``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.areas.models import Area

PCT = {"max_digits": 5, "decimal_places": 2}


class Region(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    provinces = models.JSONField(_("province codes (2 digits)"), default=list)
    source = models.TextField(_("source"))

    def __str__(self):
        return self.name


class VillageCriteria(models.Model):
    area_prefix = models.CharField(_("applies to area (code prefix)"), max_length=12, blank=True)
    from_year = models.PositiveSmallIntegerField(_("from year"))
    to_year = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=100)
    incidence_max = models.DecimalField(_("maximum poverty incidence (%)"), **PCT)
    incidence_max_west = models.DecimalField(_("maximum poverty incidence in the west (%)"), null=True, blank=True,
                                             **PCT)
    incidence_source = models.TextField(_("source of the incidence threshold"))
    collective_income_min = models.DecimalField(_("minimum collective economy income (yuan)"), max_digits=12,
                                                decimal_places=2, null=True, blank=True)
    collective_income_source = models.TextField(_("source of the income threshold"), blank=True)
    checklist_items = models.JSONField(_("required checklist items (codes)"), default=list)
    checklist_source = models.TextField(_("source of the checklist items"), blank=True)
    eligible_statuses = models.JSONField(_("village statuses that may exit"), default=list)
    notice_days = models.PositiveSmallIntegerField(_("township notice (natural days)"))
    notice_days_source = models.TextField(_("source of the notice period"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("village exit criteria")
        constraints = [models.UniqueConstraint(fields=["area_prefix", "from_year"], name="village_criteria_unique")]
        ordering = ["area_prefix", "from_year"]

    def __str__(self):
        return self.name


class CountyCriteria(models.Model):
    area_prefix = models.CharField(_("applies to area (code prefix)"), max_length=12, blank=True)
    from_year = models.PositiveSmallIntegerField(_("from year"))
    to_year = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=100)
    incidence_max = models.DecimalField(_("maximum poverty incidence (%)"), **PCT)
    incidence_max_west = models.DecimalField(_("maximum poverty incidence in the west (%)"), null=True, blank=True,
                                             **PCT)
    incidence_source = models.TextField(_("source of the incidence threshold"))
    wrong_exit_max = models.DecimalField(_("wrongful-exit rate below (%)"), **PCT)
    wrong_exit_source = models.TextField(_("source"))
    missed_max = models.DecimalField(_("missed-registration rate below (%)"), **PCT)
    missed_source = models.TextField(_("source"))
    approval_min = models.DecimalField(_("public approval at least (%)"), **PCT)
    approval_source = models.TextField(_("source"))
    sample_villages = models.PositiveSmallIntegerField(_("villages sampled"))
    sample_registered = models.PositiveSmallIntegerField(_("registered or exited households per village"))
    sample_non_registered = models.PositiveSmallIntegerField(_("non-registered households per village"))
    sample_source = models.TextField(_("source of the sample sizes"))
    steps_source = models.TextField(_("source of the steps"), blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("county exit criteria")
        constraints = [models.UniqueConstraint(fields=["area_prefix", "from_year"], name="county_criteria_unique")]
        ordering = ["area_prefix", "from_year"]

    def __str__(self):
        return self.name


class VillageAssessment(models.Model):
    NOT_MET, ASSESSED, NOTICE, NOTICED, APPROVED, ANNOUNCED, REJECTED, STOPPED = (
        "not_met", "assessed", "notice", "noticed", "approved", "announced", "rejected", "stopped")
    STATES = [
        (NOT_MET, _("Criteria not met")),
        (ASSESSED, _("Criteria met, notice not yet published")),
        (NOTICE, _("Township notice up")),
        (NOTICED, _("Notice closed, awaiting county approval")),
        (APPROVED, _("Approved by the county (delisted), announcement pending")),
        (ANNOUNCED, _("Delisted and announced")),
        (REJECTED, _("Rejected by the county")),
        (STOPPED, _("Stopped by an upheld objection")),
    ]
    OPEN_STATES = (ASSESSED, NOTICE, NOTICED, APPROVED)
    # A village has at most one assessment a year in these states (one in progress or
    # done); after one that was not met, rejected or stopped it may be assessed again.
    # The constraint ``village_assessment_once`` below says the same in the database.
    HOLDING_STATES = (*OPEN_STATES, ANNOUNCED)

    village = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("village"))
    area_code = models.CharField(max_length=15, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    assessed_on = models.DateField(_("assessed on (status as of)"))
    criteria = models.ForeignKey(VillageCriteria, models.PROTECT, related_name="+")
    results = models.JSONField(_("values and criteria, item by item"), default=dict)
    passed = models.BooleanField(_("criteria met"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=STATES, default=ASSESSED, db_index=True)
    notice_days = models.PositiveSmallIntegerField(_("notice days"), default=0)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("village exit assessment")
        ordering = ["area_code", "-year", "-id"]
        indexes = [models.Index(fields=["area_code", "year"])]
        # The states are HOLDING_STATES (the class body's names are not visible here).
        constraints = [models.UniqueConstraint(
            fields=["village", "year"], name="village_assessment_once",
            condition=models.Q(state__in=["assessed", "notice", "noticed", "approved", "announced"]))]

    def __str__(self):
        return f"{self.village} {self.year}"


class VillageStep(models.Model):
    NOTICE, APPROVAL, ANNOUNCEMENT = "township_notice", "county_approval", "announcement"
    CODES = [(NOTICE, _("Township notice")), (APPROVAL, _("County approval")), (ANNOUNCEMENT, _("Announcement"))]

    assessment = models.ForeignKey(VillageAssessment, models.CASCADE, related_name="steps")
    area_code = models.CharField(max_length=15, db_index=True)
    code = models.CharField(_("step"), max_length=20, choices=CODES)
    started_on = models.DateField(_("date"))
    last_day = models.DateField(_("last day"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=10, blank=True)
    note = models.TextField(_("note"), blank=True)
    acted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                  related_name="+")

    class Meta:
        ordering = ["assessment", "id"]
        constraints = [models.UniqueConstraint(fields=["assessment", "code"], name="village_step_once")]


class VillageObjection(models.Model):
    OPEN, UPHELD, REJECTED = "open", "upheld", "rejected"

    assessment = models.ForeignKey(VillageAssessment, models.CASCADE, related_name="objections")
    step = models.ForeignKey(VillageStep, models.CASCADE, related_name="objections")
    area_code = models.CharField(max_length=15, db_index=True)
    received_on = models.DateField(_("received on"))
    objector = models.CharField(_("objector"), max_length=60, blank=True)
    content = models.TextField(_("objection"))
    status = models.CharField(_("status"), max_length=10, default=OPEN)
    answer = models.TextField(_("answer"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["assessment", "received_on", "id"]


class CountyRound(models.Model):
    SURVEY, SUBMITTED, CITY_REVIEWED, PROVINCE_APPROVED, ANNOUNCED, RETURNED = (
        "survey", "submitted", "city_ok", "province_ok", "announced", "returned")
    STATES = [
        (SURVEY, _("Sampling and survey")),
        (SUBMITTED, _("Submitted by the county")),
        (CITY_REVIEWED, _("Reviewed by the city")),
        (PROVINCE_APPROVED, _("Approved by the province")),
        (ANNOUNCED, _("Exit announced")),
        (RETURNED, _("Returned (not approved)")),
    ]

    county = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("county"))
    area_code = models.CharField(max_length=15, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    assessed_on = models.DateField(_("status as of"))
    seed = models.BigIntegerField(_("random seed"))
    criteria = models.ForeignKey(CountyCriteria, models.PROTECT, related_name="+")
    sample_villages = models.PositiveSmallIntegerField(_("villages sampled"))
    sample_registered = models.PositiveSmallIntegerField(_("registered or exited households per village"))
    sample_non_registered = models.PositiveSmallIntegerField(_("non-registered households per village"))
    state = models.CharField(_("state"), max_length=12, choices=STATES, default=SURVEY, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("county exit assessment round")
        ordering = ["area_code", "-year", "-id"]
        # One round a year per county unless it was returned (then a new one may start).
        constraints = [models.UniqueConstraint(fields=["county", "year"], condition=~models.Q(state="returned"),
                                               name="county_round_once")]

    def __str__(self):
        return f"{self.county} {self.year}"


class SampleVillage(models.Model):
    round = models.ForeignKey(CountyRound, models.CASCADE, related_name="villages")
    village = models.ForeignKey(Area, models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=15, db_index=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["round", "order"]
        constraints = [models.UniqueConstraint(fields=["round", "village"], name="sample_village_once")]


class SampleHousehold(models.Model):
    """A sampled household and, once surveyed, its survey record."""

    REGISTERED, EXITED, NON_REGISTERED = "registered", "exited", "non_registered"
    STRATA = [(REGISTERED, _("Registered (not exited)")), (EXITED, _("Exited")),
              (NON_REGISTERED, _("Not registered"))]

    round = models.ForeignKey(CountyRound, models.CASCADE, related_name="households")
    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=15, db_index=True)
    stratum = models.CharField(_("stratum"), max_length=16, choices=STRATA)
    status = models.CharField(_("registry status when sampled"), max_length=14)
    people = models.PositiveSmallIntegerField(_("people"), default=0)
    order = models.PositiveIntegerField(default=0)
    surveyed_on = models.DateField(_("surveyed on"), null=True, blank=True)
    respondent = models.CharField(_("respondent"), max_length=60, blank=True)
    exit_correct = models.BooleanField(_("exit correct"), null=True, blank=True)
    should_register = models.BooleanField(_("should have been registered"), null=True, blank=True)
    approves = models.BooleanField(_("respondent approves"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    surveyed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    # Optimistic concurrency: the survey form carries the version it was shown (two surveyors
    # saving the same household at once: the second is refused); every save adds one.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["round", "order"]
        constraints = [models.UniqueConstraint(fields=["round", "household"], name="sample_household_once")]


class CountyStep(models.Model):
    SUBMISSION, CITY_REVIEW, PROVINCE_APPROVAL, ANNOUNCEMENT = (
        "submission", "city_review", "province_approval", "announcement")
    CODES = [(SUBMISSION, _("County submission")), (CITY_REVIEW, _("City review")),
             (PROVINCE_APPROVAL, _("Province approval")), (ANNOUNCEMENT, _("Announcement"))]

    round = models.ForeignKey(CountyRound, models.CASCADE, related_name="steps")
    area_code = models.CharField(max_length=15, db_index=True)
    code = models.CharField(_("step"), max_length=20, choices=CODES)
    date = models.DateField(_("date"))
    decision = models.CharField(_("decision"), max_length=10, default="approved")
    note = models.TextField(_("note"), blank=True)
    acted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    acted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "code"], name="county_step_once")]
