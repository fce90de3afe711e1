"""Standards (标准) and eligibility rules as data, the facts that veto registration,
and the results of running the rules over an area.

- ``Line``: a poverty line, 低保 standard, rural income or monitoring line for a year
  and an area (code prefix; '' is the whole country), each with its source. A line
  is either a typed value (``fixed``) or a formula over other lines (``derived``,
  e.g. 浙江's low-income line = max(1.5 × last year's 低保, 40 % × last year's rural
  income)); the formula is stored and its value computed from the inputs.
- ``RuleSet`` + ``Criterion``: which tests make a household eligible in an area from
  a year (income below the line and/or basic guarantees not met) and which veto
  conditions (一票否决) bar it, each switchable and with its source.
- ``CutoffDate``: the identification cut-off (识别时间节点) of an area: a fact dated on
  or before it may veto; after it, never (seed 003). The most specific area wins. The
  rule run's vetoes and the comparison app's matching (before / after) both read it.
- ``MemberFact``: a fact about a member or household that a veto reads (a car, a
  public-payroll job, a business …). **The comparison app writes its hits here**
  (source ``comparison:<hit id>``); cadres enter facts by hand (source ``manual``).
- ``RuleRun`` / ``RunLine`` / ``RuleOutcome``: one run of the rules over an area and
  year (real, or a what-if simulation), the lines it used and one outcome per
  household with the reasons.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import rules

AMOUNT = {"max_digits": 12, "decimal_places": 2}


def padded(prefix: str) -> str:
    """An area prefix as a full 12-digit code ('' stays '' — the whole country)."""
    return prefix.ljust(12, "0") if prefix else ""


class Line(models.Model):
    FIXED, DERIVED = "fixed", "derived"
    METHOD_CHOICES = [(FIXED, _("Typed value")), (DERIVED, _("Formula over other lines"))]
    PER_CHOICES = [("year", _("per person per year")), ("month", _("per person per month"))]

    kind = models.CharField(_("kind"), max_length=20, choices=list(rules.LINE_KINDS.items()))
    area_prefix = models.CharField(_("area (code prefix)"), max_length=12, blank=True,
                                   help_text=_("Empty for the whole country; 2 digits a province, 4 a city, "
                                               "6 a county."))
    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=120, blank=True)
    method = models.CharField(_("method"), max_length=10, choices=METHOD_CHOICES, default=FIXED)
    value = models.DecimalField(_("value (yuan)"), null=True, blank=True, **AMOUNT)
    per = models.CharField(_("per"), max_length=5, choices=PER_CHOICES, default="year")
    # What the rules compare with: yuan per person per year (value × 12 for a monthly
    # value; the formula's result for a derived line; NULL when an input is missing).
    annual_value = models.DecimalField(_("yearly value (yuan)"), null=True, blank=True, editable=False, **AMOUNT)
    formula = models.JSONField(_("formula"), null=True, blank=True)
    computation = models.JSONField(null=True, blank=True, editable=False)
    computed_at = models.DateTimeField(null=True, blank=True, editable=False)
    source = models.CharField(_("source document"), max_length=300)
    note = models.TextField(_("note"), blank=True)
    is_example = models.BooleanField(_("example only (demo data, not a real standard)"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("line")
        verbose_name_plural = _("lines")
        ordering = ["-year", "kind", "area_prefix"]
        constraints = [models.UniqueConstraint(fields=["kind", "area_prefix", "year"], name="line_kind_area_year")]
        indexes = [models.Index(fields=["year", "kind", "area_prefix"])]

    def __str__(self):
        return f"{self.year} {self.get_kind_display()} {self.area_prefix or '*'}"

    @property
    def area_code(self) -> str:
        return padded(self.area_prefix)

    @property
    def is_derived(self) -> bool:
        return self.method == self.DERIVED


class RuleSet(models.Model):
    """The eligibility rules of an area from a year: the most specific area wins."""

    name = models.CharField(_("name"), max_length=120)
    area_prefix = models.CharField(_("area (code prefix)"), max_length=12, blank=True)
    from_year = models.PositiveSmallIntegerField(_("from year"))
    to_year = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    combine = models.CharField(_("eligible when"), max_length=12, choices=list(rules.COMBINE.items()),
                               default="or")
    statuses = models.JSONField(_("household statuses checked"), default=list)
    source = models.CharField(_("source document"), max_length=300)
    note = models.TextField(_("note"), blank=True)
    is_example = models.BooleanField(_("example only"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rule set")
        ordering = ["area_prefix", "-from_year"]
        constraints = [models.UniqueConstraint(fields=["area_prefix", "from_year"], name="ruleset_area_year")]

    def __str__(self):
        return self.name

    @property
    def area_code(self) -> str:
        return padded(self.area_prefix)

    def covers(self, year: int) -> bool:
        return self.from_year <= year and (self.to_year is None or year <= self.to_year)


class CutoffDate(models.Model):
    """The identification cut-off date of an area (识别时间节点, seed 003 第二篇): a fact
    (or a comparison hit) dated on or before it may veto registration; after it, never.
    The most specific area prefix wins. One per area; the only cut-off in the system."""

    area_prefix = models.CharField(_("area (code prefix)"), max_length=12, blank=True, unique=True,
                                   help_text=_("Empty for the whole country; 2 digits a province, 4 a city, "
                                               "6 a county."))
    date = models.DateField(_("identification cut-off date"))
    source = models.CharField(_("source document"), max_length=300)
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("identification cut-off date")
        ordering = ["area_prefix"]

    def __str__(self):
        return f"{self.area_prefix or '*'} {self.date}"

    @property
    def area_code(self) -> str:
        return padded(self.area_prefix)


class Criterion(models.Model):
    """One test of a rule set: a basic guarantee or a veto condition, switchable."""

    GUARANTEE, VETO = "guarantee", "veto"
    GROUP_CHOICES = [(GUARANTEE, _("Basic guarantee")), (VETO, _("Veto condition (一票否决)"))]

    ruleset = models.ForeignKey(RuleSet, models.CASCADE, related_name="criteria")
    group = models.CharField(_("group"), max_length=10, choices=GROUP_CHOICES)
    code = models.CharField(_("code"), max_length=30)
    label = models.CharField(_("label"), max_length=120, blank=True,
                             help_text=_("Leave empty to use the standard label."))
    enabled = models.BooleanField(_("switched on"), default=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    source = models.CharField(_("source document"), max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("criterion")
        ordering = ["ruleset", "group", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["ruleset", "code"], name="criterion_ruleset_code")]

    def __str__(self):
        return self.label or str(rules.criterion_label(self.code))

    @property
    def area_code(self) -> str:
        return self.ruleset.area_code

    @property
    def display_label(self) -> str:
        return self.label or str(rules.criterion_label(self.code))


FACT_SOURCES = {"manual": _("Entered by hand")}


def fact_source_label(source: str) -> str:
    """Where a veto fact came from, for people (MemberFact.source): entered by hand, or a hit of
    the data comparison (``comparison:<hit id>``); any other source as it was written."""
    if source in FACT_SOURCES:
        return str(FACT_SOURCES[source])
    kind, _sep, ref = source.partition(":")
    if kind == "comparison" and ref.isdecimal():
        return gettext("Data comparison (hit %(id)s)") % {"id": ref}
    return source


class MemberFact(models.Model):
    """A fact about a member (or the household) that a veto condition reads.

    Written by cadres (``source='manual'``) and by the comparison app
    (``source='comparison:<hit id>'``, one row per hit; unique). ``status``:
    ``pending`` (not verified yet — vetoes, marked as unverified), ``confirmed``
    (verified: vetoes), ``kept`` (true, but the household is kept with a written
    reason: never vetoes), ``error`` (data error: never vetoes). ``relation`` is empty
    for a member of the household, or names a relative outside it (parent, spouse,
    child) for vetoes that reach relatives."""

    PENDING, CONFIRMED, KEPT, ERROR = "pending", "confirmed", "kept", "error"
    STATUS_CHOICES = [(PENDING, _("Not verified")), (CONFIRMED, _("Confirmed")),
                      (KEPT, _("Kept despite the fact (with a reason)")), (ERROR, _("Data error"))]
    VETOING = (PENDING, CONFIRMED)
    RELATION_CHOICES = [("", _("member of the household")), ("parent", _("parent outside the household")),
                        ("spouse", _("spouse outside the household")), ("child", _("child outside the household")),
                        ("other", _("other relative"))]

    household = models.ForeignKey("registry.Household", models.CASCADE, related_name="facts")
    member = models.ForeignKey("registry.Member", models.CASCADE, null=True, blank=True, related_name="facts")
    area_code = models.CharField(_("area code"), max_length=15, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=30, choices=list(rules.FACT_KINDS.items()))
    value = models.DecimalField(_("value (yuan)"), null=True, blank=True, **AMOUNT)
    as_of = models.DateField(_("as of"), null=True, blank=True)
    relation = models.CharField(_("whose"), max_length=10, choices=RELATION_CHOICES, blank=True)
    person_name = models.CharField(_("name of the relative"), max_length=60, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=60, default="manual")
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES, default=PENDING)
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("fact")
        verbose_name_plural = _("facts")
        ordering = ["area_code", "household", "kind", "id"]
        indexes = [models.Index(fields=["household", "kind"])]
        constraints = [models.UniqueConstraint(fields=["source"], condition=Q(source__startswith="comparison:"),
                                               name="memberfact_comparison_source")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.household_id}"

    @property
    def source_label(self) -> str:
        return fact_source_label(self.source)


class RuleRun(models.Model):
    """One run of the rules over an area and year. A simulation (what-if) is the same
    run with changed lines or switched criteria; it is compared with the last real
    run and applies nothing."""

    REAL, SIMULATION = "real", "simulation"
    KIND_CHOICES = [(REAL, _("Run")), (SIMULATION, _("What-if simulation"))]
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUS_CHOICES = [(QUEUED, _("Queued")), (RUNNING, _("Running")), (DONE, _("Done")), (FAILED, _("Failed"))]

    kind = models.CharField(_("kind"), max_length=10, choices=KIND_CHOICES, default=REAL)
    area_prefix = models.CharField(_("area (code prefix)"), max_length=12)
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES, default=QUEUED)
    job = models.ForeignKey("jobs.Job", models.SET_NULL, null=True, blank=True, related_name="+")
    based_on = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("compared with"))
    changes = models.JSONField(_("what-if changes"), default=dict, blank=True)
    used = models.JSONField(default=dict, blank=True)  # the rule sets and criteria used
    summary = models.JSONField(default=dict, blank=True)  # counts; for a simulation, changes by village
    households = models.PositiveIntegerField(_("households"), default=0)
    eligible = models.PositiveIntegerField(_("eligible"), default=0)
    flagged = models.PositiveIntegerField(_("flagged"), default=0)
    changed = models.PositiveIntegerField(_("changed outcome"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("started by"))
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("rule run")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.area_prefix} {self.year}"

    @property
    def is_simulation(self) -> bool:
        return self.kind == self.SIMULATION


class RunLine(models.Model):
    """A line as a run used it (the effective value, simulated or computed)."""

    run = models.ForeignKey(RuleRun, models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=20)
    area_prefix = models.CharField(max_length=12, blank=True)
    line = models.ForeignKey(Line, models.SET_NULL, null=True, blank=True, related_name="+")
    annual_value = models.DecimalField(null=True, blank=True, **AMOUNT)
    simulated = models.BooleanField(default=False)
    computation = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "kind", "area_prefix"], name="runline_unique")]


class RuleOutcome(models.Model):
    """A household's outcome in a run, with the facts that decided it (the one-sentence
    reason is rendered from these columns in the reader's language)."""

    # Two indexes only, since a run writes one row per household: the key (run,
    # household) and (run, area_code) for the scoped lists.
    pk = models.CompositePrimaryKey("run", "household")
    # No database constraints: a foreign-key check per inserted row would cost as much as
    # the rule computation; the rows are written only by engine.execute for its own run.
    run = models.ForeignKey(RuleRun, models.CASCADE, related_name="outcomes", db_index=False, db_constraint=False)
    # A run's outcomes are its record: deleting a household (rare; the registry marks
    # households removed) leaves them, without a scan of every run's outcomes.
    household = models.ForeignKey("registry.Household", models.DO_NOTHING, related_name="+", db_constraint=False,
                                  db_index=False)
    area_code = models.CharField(max_length=15)
    status = models.CharField(max_length=14)
    ruleset = models.ForeignKey(RuleSet, models.SET_NULL, null=True, related_name="+", db_constraint=False,
                                db_index=False)
    line_kind = models.CharField(max_length=20, blank=True)
    line = models.ForeignKey(RunLine, models.SET_NULL, null=True, related_name="+", db_constraint=False,
                             db_index=False)
    line_value = models.DecimalField(null=True, **AMOUNT)
    per_capita = models.DecimalField(null=True, **AMOUNT)
    income_below = models.BooleanField(null=True)
    guarantees = models.CharField(max_length=200, blank=True)  # failed guarantee codes, "a,b,"
    vetoes = models.CharField(max_length=400, blank=True)  # fired vetoes with a fact id, "car:12,business:40,"
    eligible = models.BooleanField()
    flagged = models.BooleanField()

    class Meta:
        indexes = [models.Index(fields=["run", "area_code"])]
