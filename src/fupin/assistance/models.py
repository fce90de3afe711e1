"""帮扶: who helps (helpers, pairings with households, 挂包帮 links, resident work
teams), what is done (plans per household and village, measures), visits with photos,
and public-welfare / forest-ranger posts.

Every row carries the area code of what it is about (the household's, the village's)
denormalised, so an area's rows are one indexed range, like the registry's. History is
kept: a change of helper, unit or team member ends the old row with a date and adds a
new one; nothing is overwritten."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.areas.models import Area, Unit
from fupin.assistance import catalog
from fupin.registry.models import Household, Member

AMOUNT = {"max_digits": 12, "decimal_places": 2, "default": 0}


class CurrentManager(models.Manager):
    """The records in force: a withdrawn (voided) measure or visit is kept, with its
    reason, but counts nowhere — lists, 六清, coverage, plans, exports. ``all_objects``
    reaches the withdrawn ones too (their own pages, the history)."""

    def get_queryset(self):
        return super().get_queryset().filter(voided_at__isnull=True)


class Withdrawable(models.Model):
    """Corrected (updated_*) or withdrawn (voided_*) — never deleted; every change is an
    audit event with the record before and after."""

    updated_at = models.DateTimeField(_("last corrected"), null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("corrected by"))
    voided_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("withdrawn by"))
    void_reason = models.CharField(_("reason for withdrawing"), max_length=200, blank=True)

    objects = CurrentManager()
    all_objects = models.Manager()  # noqa: DJ012 (ruff takes the custom manager above for a field)

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


class Helper(models.Model):
    """A person in assistance work: a helper (帮扶责任人) responsible for households, a
    leader with a contact point (挂点), a work-team member. Often a user of the system,
    not always. ``area`` is where the person's work is recorded (the village or
    township they help); the person is also seen wherever they have households."""

    name = models.CharField(_("name"), max_length=60, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="helper_records", verbose_name=_("user"))
    unit = models.ForeignKey(Unit, models.PROTECT, null=True, blank=True, related_name="helpers",
                             verbose_name=_("unit"))
    post = models.CharField(_("post"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    level = models.CharField(_("level of the unit"), max_length=10, choices=Area.LEVEL_CHOICES[:5])
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    area_code = models.CharField(_("area code"), max_length=15, db_index=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("helper")
        verbose_name_plural = _("helpers")
        ordering = ["area_code", "name", "pk"]

    def __str__(self):
        return self.name


class Pairing(models.Model):
    """Helper ↔ household from a date to a date (open while ``end`` is empty). A change
    of helper ends the old pairing and adds a new one: the history stays."""

    helper = models.ForeignKey(Helper, models.PROTECT, related_name="pairings", verbose_name=_("helper"))
    household = models.ForeignKey(Household, models.CASCADE, related_name="pairings", verbose_name=_("household"))
    area_code = models.CharField(max_length=15, db_index=True)
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pairing")
        ordering = ["household", "start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["helper", "household"], condition=models.Q(end__isnull=True),
                                    name="pairing_open_unique"),
        ]
        indexes = [models.Index(fields=["household", "end"]), models.Index(fields=["helper", "end"]),
                   models.Index(fields=["area_code", "end"])]

    def __str__(self):
        return f"{self.helper} → {self.household}"

    @property
    def is_open(self) -> bool:
        return self.end is None


class Link(models.Model):
    """挂包帮 and 对口帮扶: a person or a unit linked to an area — a leader's contact point
    (挂点, county or township), a unit or person contracted to a village (包村, with its
    role on the village's "三个一" platform), or paired assistance between areas (对口帮扶)."""

    kind = models.CharField(_("kind"), max_length=10)  # links.json kinds
    role = models.CharField(_("role"), max_length=12, blank=True)  # village_platform roles (包村)
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    area_code = models.CharField(max_length=15, db_index=True)
    unit = models.ForeignKey(Unit, models.PROTECT, null=True, blank=True, related_name="links",
                             verbose_name=_("unit"))
    person = models.ForeignKey(Helper, models.PROTECT, null=True, blank=True, related_name="links",
                               verbose_name=_("person"))
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assistance link")
        ordering = ["area_code", "kind", "role", "start"]
        indexes = [models.Index(fields=["area_code", "kind", "end"])]

    def __str__(self):
        return f"{self.unit or self.person} → {self.area}"


class WorkTeam(models.Model):
    """驻村工作队: a resident team in a village, sent by a unit, from a date to a date."""

    village = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("village"))
    area_code = models.CharField(max_length=15, db_index=True)
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="work_teams", verbose_name=_("dispatching unit"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    start = models.DateField(_("in the village from"))
    end = models.DateField(_("left the village on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("work team")
        ordering = ["area_code", "-start"]
        indexes = [models.Index(fields=["area_code", "end"])]

    def __str__(self):
        return self.name or f"{self.village} {_('work team')}"


class TeamMember(models.Model):
    team = models.ForeignKey(WorkTeam, models.CASCADE, related_name="members")
    person = models.ForeignKey(Helper, models.PROTECT, related_name="team_memberships", verbose_name=_("person"))
    area_code = models.CharField(max_length=15, db_index=True)
    role = models.CharField(_("role"), max_length=16, default="member")  # links.json team_roles
    start = models.DateField(_("in the village from"))
    end = models.DateField(_("left the village on"), null=True, blank=True)

    class Meta:
        ordering = ["team", "role", "start", "pk"]
        constraints = [models.UniqueConstraint(fields=["team", "person"], condition=models.Q(end__isnull=True),
                                               name="team_member_open_unique")]

    def __str__(self):
        return str(self.person)


class Attendance(models.Model):
    """Days a team member spent in the village in a month."""

    member = models.ForeignKey(TeamMember, models.CASCADE, related_name="attendance")
    area_code = models.CharField(max_length=15, db_index=True)
    month = models.DateField(_("month"))  # the first day of the month
    days = models.PositiveSmallIntegerField(_("days in the village"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["member", "month"]
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="attendance_month_unique")]


class HouseholdPlan(models.Model):
    """一户一策: a household's plan for a year."""

    household = models.ForeignKey(Household, models.CASCADE, related_name="plans")
    area_code = models.CharField(max_length=15, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    goals = models.TextField(_("goals"), blank=True)
    causes = models.JSONField(_("causes addressed"), default=list, blank=True)  # registry cause codes
    measure_types = models.JSONField(_("planned measures"), default=list, blank=True)  # measure type codes
    expected_income = models.DecimalField(_("expected net income of the household (yuan)"), **AMOUNT)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("household plan")
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="household_plan_year")]
        indexes = [models.Index(fields=["area_code", "year"])]


class VillagePlan(models.Model):
    """一村一策: a village's plan for a year."""

    village = models.ForeignKey(Area, models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=15, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    industries = models.TextField(_("industries"), blank=True)
    infrastructure = models.JSONField(_("infrastructure (checklist items)"), default=list, blank=True)
    infrastructure_note = models.TextField(_("infrastructure, other"), blank=True)
    collective_income_target = models.DecimalField(_("collective income target (yuan)"), **AMOUNT)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("village plan")
        constraints = [models.UniqueConstraint(fields=["village", "year"], name="village_plan_year")]


class Measure(Withdrawable):
    """One thing done for a household (or a village): typed from the measure list
    (data/measures.json), with its money and type-specific details."""

    household = models.ForeignKey(Household, models.CASCADE, null=True, blank=True, related_name="measures")
    village = models.ForeignKey(Area, models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=15, db_index=True)
    type = models.CharField(_("type"), max_length=20, db_index=True)
    date = models.DateField(_("date"))
    year = models.PositiveSmallIntegerField(_("year"), editable=False)
    amount_to_household = models.DecimalField(_("money to the household (yuan)"), **AMOUNT)
    amount_spent = models.DecimalField(_("money spent for it (yuan)"), **AMOUNT)
    fund_source = models.CharField(_("source of funds"), max_length=12, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    helper = models.ForeignKey(Helper, models.SET_NULL, null=True, blank=True, related_name="measures",
                               verbose_name=_("helper"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(auto_now_add=True)
    income_item = models.CharField(_("income item"), max_length=20, blank=True)
    carried_at = models.DateTimeField(_("carried into the income ledger"), null=True, blank=True)

    class Meta(Withdrawable.Meta):
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["area_code", "year"]), models.Index(fields=["household", "year"])]

    def __str__(self):
        """What the audit log keeps as its name: the type in words (the code list's label, in the
        UI language), the date, and whose it is (the household's number, else the village)."""
        whose = self.household.number if self.household_id else (self.village.name if self.village_id else "")
        return " · ".join(filter(None, [f"{catalog.measure_label(self.type)} {self.date or ''}".strip(), whose]))


def _photo_path(instance, filename):
    """A random name under MEDIA_ROOT; the suffix comes from the checked image format,
    never from what the uploader called the file."""
    suffix = Path(filename).suffix.lower()
    return f"assistance/visits/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}{suffix}"


class Visit(Withdrawable):
    """走访: a helper's visit to a household."""

    helper = models.ForeignKey(Helper, models.PROTECT, related_name="visits", verbose_name=_("helper"))
    household = models.ForeignKey(Household, models.CASCADE, related_name="visits", verbose_name=_("household"))
    area_code = models.CharField(max_length=15, db_index=True)
    date = models.DateField(_("date"))
    findings = models.TextField(_("what was found"), blank=True)
    agreements = models.TextField(_("what was agreed"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta(Withdrawable.Meta):
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["helper", "date"]), models.Index(fields=["household", "date"]),
                   models.Index(fields=["area_code", "date"])]


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, models.CASCADE, related_name="photos")
    area_code = models.CharField(max_length=15, db_index=True)
    file = models.FileField(upload_to=_photo_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True)
    height = models.PositiveIntegerField(null=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)


class Post(models.Model):
    """A public-welfare post (公益岗位) or a forest-ranger post (生态护林员): where,
    how much land, its boundaries, its period and its pay rule (data/posts.json)."""

    kind = models.CharField(_("kind"), max_length=10, default="ranger")
    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    area_code = models.CharField(max_length=15, db_index=True)
    employer = models.ForeignKey(Unit, models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("employer (甲方)"))
    mu = models.DecimalField(_("area under care (mu)"), max_digits=10, decimal_places=2, default=0)
    east = models.CharField(_("east boundary"), max_length=100, blank=True)
    south = models.CharField(_("south boundary"), max_length=100, blank=True)
    west = models.CharField(_("west boundary"), max_length=100, blank=True)
    north = models.CharField(_("north boundary"), max_length=100, blank=True)
    start = models.DateField(_("period from"))
    end = models.DateField(_("period until"))
    rule = models.CharField(_("pay rule"), max_length=30)
    annual_pay = models.DecimalField(_("annual pay (yuan)"), max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("post")
        ordering = ["area_code", "name"]

    def __str__(self):
        return self.name


class Agreement(models.Model):
    """The agreement between the post's employer and a member of a registered household."""

    ACTIVE, ENDED = "active", "ended"
    post = models.ForeignKey(Post, models.PROTECT, related_name="agreements")
    member = models.ForeignKey(Member, models.PROTECT, related_name="+", verbose_name=_("member"))
    household = models.ForeignKey(Household, models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=15, db_index=True)
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    status = models.CharField(_("status"), max_length=8, default=ACTIVE)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("post agreement")
        ordering = ["area_code", "-start"]

    def __str__(self):
        return f"{self.post} · {self.member}"


class Inspection(models.Model):
    """An inspection of a post: was the holder at work?"""

    agreement = models.ForeignKey(Agreement, models.CASCADE, related_name="inspections")
    area_code = models.CharField(max_length=15, db_index=True)
    date = models.DateField(_("date"))
    present = models.BooleanField(_("at work"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agreement", "date", "pk"]
        indexes = [models.Index(fields=["agreement", "date"])]


class AgreementDecision(models.Model):
    """What the employer decided when the rule allowed ending the agreement (three
    absences in a month): end it, or keep it — with the reason, recorded."""

    END, KEEP = "end", "keep"
    agreement = models.ForeignKey(Agreement, models.CASCADE, related_name="decisions")
    area_code = models.CharField(max_length=15, db_index=True)
    month = models.DateField(_("month"))
    absences = models.PositiveSmallIntegerField(_("absences"))
    decision = models.CharField(_("decision"), max_length=4)
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agreement", "month"]
        constraints = [models.UniqueConstraint(fields=["agreement", "month"], name="agreement_decision_month")]
