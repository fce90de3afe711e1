"""防止返贫动态监测: monitored households (监测对象), their risks, how they were found
(three channels), help given first (先救后核), applications, departments' warnings, and
runs of the early-warning rules with their worklist.

Every row carries the area code of its household (or village) denormalised, so an
area's rows are one indexed range, like the registry's."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

AMOUNT = {"max_digits": 12, "decimal_places": 2}


class MonitoredHousehold(models.Model):
    """One monitoring episode of a household: proposed (``candidate``) → identified
    through the procedure (``monitored``, from ``since``) → ``cleared`` (风险消除, on
    ``cleared_on``); or ``rejected`` by the procedure (or dismissed) before it was
    monitored. A household has at most one open episode (candidate or monitored)."""

    UNSTABLE, EDGE, SUDDEN = "unstable", "edge", "sudden"
    KIND_CHOICES = [(UNSTABLE, _("Exited but unstable (脱贫不稳定户)")),
                    (EDGE, _("On the edge, easily falling into poverty (边缘易致贫户)")),
                    (SUDDEN, _("Sudden serious hardship (突发严重困难户)"))]
    CANDIDATE, MONITORED, CLEARED, REJECTED = "candidate", "monitored", "cleared", "rejected"
    STATE_CHOICES = [(CANDIDATE, _("Being identified")), (MONITORED, _("Monitored")),
                     (CLEARED, _("Risk cleared")), (REJECTED, _("Not identified"))]
    OPEN_STATES = (CANDIDATE, MONITORED)

    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="monitoring",
                                  verbose_name=_("household"))
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=KIND_CHOICES)
    state = models.CharField(_("state"), max_length=10, choices=STATE_CHOICES, default=CANDIDATE, db_index=True)
    since = models.DateField(_("monitored since"), null=True, blank=True)
    cleared_on = models.DateField(_("risk cleared on"), null=True, blank=True)
    rejected_on = models.DateField(_("not identified on"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=500, blank=True)
    helped_first = models.BooleanField(_("helped first (先救后核)"), default=False)
    social_protection = models.BooleanField(
        _("under social protection (兜底保障)"), default=False,
        help_text=_("低保, 特困供养 or another guarantee that the household's living depends on."))
    identify_batch = models.ForeignKey("procedures.ProcedureBatch", models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("identification procedure"))
    clear_batch = models.ForeignKey("procedures.ProcedureBatch", models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("risk-clearance procedure"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("monitored household")
        verbose_name_plural = _("monitored households")
        ordering = ["area_code", "-id"]
        constraints = [models.UniqueConstraint(fields=["household"], condition=Q(state__in=["candidate", "monitored"]),
                                               name="monitoring_one_open_episode")]
        indexes = [models.Index(fields=["area_code", "state"]), models.Index(fields=["area_code", "since"]),
                   models.Index(fields=["area_code", "cleared_on"])]

    def __str__(self):
        return f"{self.household} · {self.get_kind_display()}"


class Risk(models.Model):
    """A risk of a monitored household (a code of data/risk_types.json)."""

    record = models.ForeignKey(MonitoredHousehold, models.CASCADE, related_name="risks")
    area_code = models.CharField(max_length=15, db_index=True)
    code = models.CharField(_("risk"), max_length=30)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    noted_on = models.DateField(_("noted on"))
    resolved_on = models.DateField(_("gone on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["record", "id"]
        constraints = [models.UniqueConstraint(fields=["record", "code"], name="monitoring_risk_unique")]


class Discovery(models.Model):
    """How a household came to notice: channel, date, who, what."""

    APPLICATION, PHONE, VISIT, DEPARTMENT, WARNING_RULE = "application", "phone", "visit", "department", "rule"
    CHANNEL_CHOICES = [(APPLICATION, _("The household applied")), (PHONE, _("The household called")),
                       (VISIT, _("A cadre's visit")), (DEPARTMENT, _("A department's warning")),
                       (WARNING_RULE, _("An early-warning rule"))]

    record = models.ForeignKey(MonitoredHousehold, models.CASCADE, null=True, blank=True, related_name="discoveries")
    household = models.ForeignKey("registry.Household", models.CASCADE, related_name="+")
    area_code = models.CharField(max_length=15, db_index=True)
    channel = models.CharField(_("channel"), max_length=12, choices=CHANNEL_CHOICES)
    date = models.DateField(_("date"))
    who = models.CharField(_("who"), max_length=120)
    what = models.TextField(_("what"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["record", "date", "id"]


class Visit(models.Model):
    """The household visit of the identification (入户核实) by two people at least, and
    the household's signed authorisation (承诺授权)."""

    record = models.ForeignKey(MonitoredHousehold, models.CASCADE, related_name="visits")
    area_code = models.CharField(max_length=15, db_index=True)
    date = models.DateField(_("date"))
    visitors = models.CharField(_("visitors"), max_length=200)
    findings = models.TextField(_("findings"))
    consent_signed = models.BooleanField(_("authorisation signed"), default=False)
    consent_signed_by = models.CharField(_("signed by"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["record", "date", "id"]


class Help(models.Model):
    """Help given (救助): with ``first`` when it came before the household was identified
    (先救后核)."""

    record = models.ForeignKey(MonitoredHousehold, models.CASCADE, related_name="help")
    area_code = models.CharField(max_length=15, db_index=True)
    date = models.DateField(_("date"))
    what = models.CharField(_("what"), max_length=200)
    amount = models.DecimalField(_("amount (yuan)"), default=0, **AMOUNT)
    given_by = models.CharField(_("given by"), max_length=120)
    first = models.BooleanField(_("before identification"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["record", "date", "id"]


class Application(models.Model):
    """An application by a household (the public form) or a call a cadre took: pending
    in the village's inbox until a cadre accepts (a monitoring episode starts) or
    dismisses it with a reason."""

    PUBLIC, PHONE, CADRE = "public", "phone", "cadre"
    CHANNEL_CHOICES = [(PUBLIC, _("Public form")), (PHONE, _("Phone call")), (CADRE, _("Recorded by a cadre"))]
    PENDING, ACCEPTED, DISMISSED = "pending", "accepted", "dismissed"
    STATE_CHOICES = [(PENDING, _("Pending")), (ACCEPTED, _("Accepted")), (DISMISSED, _("Dismissed"))]

    area_code = models.CharField(_("village code"), max_length=15, db_index=True)
    channel = models.CharField(_("channel"), max_length=8, choices=CHANNEL_CHOICES)
    name = models.CharField(_("name"), max_length=60)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    what = models.TextField(_("what happened"))
    received_at = models.DateTimeField(_("received at"))
    client_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=STATE_CHOICES, default=PENDING, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    record = models.ForeignKey(MonitoredHousehold, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["area_code", "state"])]


class WarningImport(models.Model):
    """One department's warning file, imported all or nothing."""

    department = models.CharField(_("department"), max_length=120)
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    file_name = models.CharField(_("file"), max_length=200)
    rows = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-id"]


class DepartmentWarning(models.Model):
    """One row of a department's warning file, matched to a registry member by ID number."""

    source = models.ForeignKey(WarningImport, models.CASCADE, related_name="warnings")
    household = models.ForeignKey("registry.Household", models.CASCADE, related_name="+")
    member = models.ForeignKey("registry.Member", models.SET_NULL, null=True, blank=True, related_name="+")
    area_code = models.CharField(max_length=15, db_index=True)
    id_number = models.CharField(_("ID number"), max_length=18)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=20)
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (yuan)"), default=0, **AMOUNT)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["-date", "id"]
        indexes = [models.Index(fields=["household", "date"]), models.Index(fields=["area_code", "date"])]


class WarningRun(models.Model):
    """One run of the early-warning rules over an area for an income year."""

    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    year = models.PositiveSmallIntegerField(_("income year"))
    rules = models.JSONField(default=list)  # the rules as the run used them
    lines = models.JSONField(default=dict)  # {area prefix: line value} of the year
    job = models.ForeignKey("jobs.Job", models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    hit_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]


class RunLine(models.Model):
    """A monitoring line as a run used it (the most specific prefix wins)."""

    run = models.ForeignKey(WarningRun, models.CASCADE, related_name="line_rows")
    area_prefix = models.CharField(max_length=12, blank=True)
    plen = models.PositiveSmallIntegerField()
    value = models.DecimalField(**AMOUNT)


class WarningHit(models.Model):
    """A household a rule caught: on the worklist until a cadre dismisses it (with a
    reason) or starts a monitoring identification."""

    OPEN, DISMISSED, STARTED, SUPERSEDED = "open", "dismissed", "started", "superseded"
    STATE_CHOICES = [(OPEN, _("To check")), (DISMISSED, _("Dismissed")), (STARTED, _("Identification started")),
                     (SUPERSEDED, _("Replaced by a later run"))]

    run = models.ForeignKey(WarningRun, models.CASCADE, related_name="hits")
    household = models.ForeignKey("registry.Household", models.CASCADE, related_name="+")
    area_code = models.CharField(max_length=15, db_index=True)
    rule = models.CharField(_("rule"), max_length=30)
    value = models.DecimalField(null=True, **AMOUNT)
    threshold = models.DecimalField(null=True, **AMOUNT)
    state = models.CharField(_("state"), max_length=10, choices=STATE_CHOICES, default=OPEN, db_index=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    record = models.ForeignKey(MonitoredHousehold, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["area_code", "household", "rule"]
        indexes = [models.Index(fields=["area_code", "state"])]
