"""建档立卡: villages' yearly profiles, households, members, income, status history,
yearly re-checks. Every registry row carries its area code (village or village
group, 12 or 15 digits) denormalised, so an area's rows are one indexed range and
the county code (the first six digits) can be the distribution key at national scale."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.areas.models import Area

AMOUNT = {"max_digits": 12, "decimal_places": 2, "default": 0}


class VillageProfile(models.Model):
    """A village's profile in a year (seed 003 第四篇's items)."""

    village = models.ForeignKey(Area, models.PROTECT, related_name="profiles", verbose_name=_("village"))
    area_code = models.CharField(_("area code"), max_length=15, db_index=True, editable=False)
    year = models.PositiveSmallIntegerField(_("year"))
    households = models.PositiveIntegerField(_("households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)
    rural_population = models.PositiveIntegerField(
        _("rural registered population"), default=0,
        help_text=_("The denominator of the poverty incidence rate."))
    collective_income = models.DecimalField(_("collective economy income (yuan)"), **AMOUNT)
    arable_mu = models.DecimalField(_("arable land (mu)"), max_digits=12, decimal_places=2, default=0)
    forest_mu = models.DecimalField(_("forest land (mu)"), max_digits=12, decimal_places=2, default=0)
    main_industries = models.CharField(_("main industries"), max_length=200, blank=True)
    special_industries = models.CharField(_("special industries"), max_length=200, blank=True)
    status = models.CharField(_("village status"), max_length=10, default="none")
    status_year = models.PositiveSmallIntegerField(_("status year"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("village profile")
        constraints = [models.UniqueConstraint(fields=["village", "year"], name="village_profile_year")]
        ordering = ["area_code", "-year"]

    def __str__(self):
        return f"{self.village} {self.year}"


class ChecklistItem(models.Model):
    """An item of an infrastructure and services checklist (硬化路, 自来水 … or a local
    list such as 全南's 七改三网), valid for an area (prefix) from a year."""

    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    area_prefix = models.CharField(_("applies to area (code prefix)"), max_length=15, blank=True)
    from_year = models.PositiveSmallIntegerField(_("from year"), default=2014)
    to_year = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    source = models.CharField(_("source document"), max_length=200)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("checklist item")
        ordering = ["area_prefix", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["code", "area_prefix"], name="checklist_item_unique")]

    def __str__(self):
        return self.name


class VillageChecklist(models.Model):
    village = models.ForeignKey(Area, models.PROTECT, related_name="checklist")
    area_code = models.CharField(max_length=15, db_index=True, editable=False)
    year = models.PositiveSmallIntegerField(_("year"))
    item = models.ForeignKey(ChecklistItem, models.PROTECT)
    met = models.BooleanField(_("met"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["village", "year", "item"], name="village_checklist_unique")]


class CoveringIndex(models.Index):
    """An index that also carries the ``covering`` columns (INCLUDE) where the database can
    (PostgreSQL), so a query reads them from the index alone; elsewhere (SQLite) a plain
    index. Unlike ``Index(include=…)`` it raises no system-check warning on SQLite."""

    def __init__(self, *args, covering=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.covering = tuple(covering)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["covering"] = self.covering
        return path, args, kwargs

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if self.covering and schema_editor.connection.features.supports_covering_indexes:
            index = self.clone()
            index.include = self.covering
            return models.Index.create_sql(index, model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class Household(models.Model):
    """A registered household (贫困户 / 低收入农户). Its current status is kept here
    and every change of status is a dated StatusChange."""

    number = models.CharField(_("household number"), max_length=32, unique=True)
    # area_code and county_code are indexed only as the first column of the (…, status) indexes
    # below, and head_name and status by plain indexes in Meta.indexes: none gets the
    # varchar_pattern_ops twin Django adds on PostgreSQL (areas are compared as ranges, names
    # and statuses with =; migration 0006). The number keeps its twin: search and monitoring
    # look numbers up by prefix.
    area_code = models.CharField(_("area code"), max_length=15)
    county_code = models.CharField(_("county code"), max_length=6, editable=False)
    village = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("village"))
    group = models.ForeignKey(Area, models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("village group"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account = models.CharField(_("bank account (一卡通)"), max_length=32, blank=True)
    head_name = models.CharField(_("head of household"), max_length=60, blank=True)
    category = models.CharField(_("category"), max_length=2, default="1")
    standard = models.CharField(_("identification standard"), max_length=2,
                                default="1")
    main_cause = models.CharField(_("main cause of poverty"), max_length=2, blank=True)
    cause2 = models.CharField(_("other cause"), max_length=2, blank=True)
    cause3 = models.CharField(_("other cause (2)"), max_length=2, blank=True)
    housing_area = models.DecimalField(_("housing area (m²)"), max_digits=8, decimal_places=1, null=True,
                                       blank=True)
    housing_structure = models.CharField(_("housing structure"), max_length=2, blank=True)
    danger_grade = models.CharField(_("dangerous-house grade"), max_length=1,
                                    blank=True)
    renovated_year = models.PositiveSmallIntegerField(_("year of renovation"), null=True, blank=True)
    water_difficult = models.BooleanField(_("difficulty getting drinking water"), default=False)
    water_safe = models.BooleanField(_("safe drinking water"), default=True)
    power = models.BooleanField(_("household power"), default=True)
    relocated = models.BooleanField(_("relocated (易地扶贫搬迁)"), default=False)
    relocation_mode = models.CharField(_("relocation mode"), max_length=2,
                                       blank=True)
    relocation_place = models.CharField(_("resettlement place"), max_length=100, blank=True)
    sanitary_toilet = models.BooleanField(_("sanitary toilet"), default=False)
    road_distance_km = models.DecimalField(_("distance to the main road (km)"), max_digits=6, decimal_places=1,
                                           null=True, blank=True)
    arable_mu = models.DecimalField(_("arable land (mu)"), max_digits=8, decimal_places=2, default=0)
    irrigated_mu = models.DecimalField(_("irrigated land (mu)"), max_digits=8, decimal_places=2, default=0)
    forest_mu = models.DecimalField(_("forest land (mu)"), max_digits=8, decimal_places=2, default=0)
    returned_forest_mu = models.DecimalField(_("land returned to forest (mu)"), max_digits=8, decimal_places=2,
                                             default=0)
    cooperative = models.BooleanField(_("joined a cooperative"), default=False)
    identified_year = models.PositiveSmallIntegerField(_("year first identified"), null=True, blank=True)
    planned_exit_year = models.PositiveSmallIntegerField(_("planned exit year"), null=True, blank=True)
    exit_year = models.PositiveSmallIntegerField(_("exit year"), null=True, blank=True)
    return_year = models.PositiveSmallIntegerField(_("return year"), null=True, blank=True)
    return_reason = models.CharField(_("reason for return"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=14, default="registered")
    status_date = models.DateField(_("status since"), null=True, blank=True)
    size = models.PositiveSmallIntegerField(_("household size"), default=0, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["area_code", "number"]
        indexes = [
            models.Index(fields=["county_code", "status"]),
            models.Index(fields=["area_code", "status"]),
            models.Index(fields=["head_name"], name="household_head_name"),
            models.Index(fields=["status"], name="household_status"),
        ]

    def __str__(self):
        return f"{self.number} {self.head_name}"

    def save(self, *args, **kwargs):
        self.county_code = self.area_code[:6]
        super().save(*args, **kwargs)

    def causes(self) -> list[str]:
        return [c for c in (self.main_cause, self.cause2, self.cause3) if c]


class StatusChange(models.Model):
    """One dated passage of a household's status: the history that makes "how many
    were poor in this county on 31 Dec 2017" a query."""

    # (the household is indexed as the first column of the (household, date) index, the area
    # code by a plain index without the pattern-ops twin: migration 0006)
    household = models.ForeignKey(Household, models.CASCADE, related_name="status_changes", db_index=False)
    # the household's area now, denormalised like Member.area_code and Income.area_code: a move
    # rewrites it on the whole history, so counts "on a date" count the household where the lists do
    area_code = models.CharField(max_length=15)
    status = models.CharField(_("status"), max_length=14)
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=40, blank=True)  # import | manual | procedure:<id> …
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        ordering = ["household", "date", "id"]
        indexes = [models.Index(fields=["household", "date"]),
                   models.Index(fields=["area_code"], name="statuschange_area_code")]


class Member(models.Model):
    household = models.ForeignKey(Household, models.CASCADE, related_name="members")
    # Indexed in Meta.indexes, without the varchar_pattern_ops twin Django adds to an indexed
    # text column on PostgreSQL: area ranges are compared with >= / < and names and ID
    # numbers with =, which the plain index serves (and LIKE 'prefix%' too on a database with
    # the C collation, as this project's are).
    area_code = models.CharField(_("area code"), max_length=15)
    name = models.CharField(_("name"), max_length=60)
    name_pinyin = models.CharField(max_length=120, blank=True, editable=False)
    id_number = models.CharField(_("ID number"), max_length=18, null=True, blank=True)
    # The ID number reversed, so "the last digits are 1234" is an indexed prefix range.
    id_rev = models.CharField(max_length=18, blank=True, editable=False)
    no_id_reason = models.CharField(_("reason for no ID number"), max_length=2,
                                    blank=True)
    sex = models.CharField(_("sex"), max_length=1)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    relation = models.CharField(_("relation to head"), max_length=2)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, default="01")
    education = models.CharField(_("education"), max_length=1, blank=True)
    school_status = models.CharField(_("school status"), max_length=2,
                                     default="00")
    health = models.CharField(_("health"), max_length=1, default="1")
    disability_grade = models.CharField(_("disability grade"), max_length=1,
                                        blank=True)
    labour = models.CharField(_("labour ability"), max_length=1, blank=True)
    work_status = models.CharField(_("work status"), max_length=1, blank=True)
    work_place = models.CharField(_("work place"), max_length=1, blank=True)
    work_months = models.PositiveSmallIntegerField(_("months worked"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    medical_insurance = models.BooleanField(_("basic medical insurance"), default=False)
    serious_illness_insurance = models.BooleanField(_("serious-illness insurance"), default=False)
    pension_insurance = models.BooleanField(_("pension insurance"), default=False)
    dibao = models.BooleanField(_("低保"), default=False)
    tekun = models.BooleanField(_("特困供养"), default=False)
    active = models.BooleanField(_("active"), default=True)
    left_reason = models.CharField(_("reason for leaving"), max_length=1,
                                   blank=True)
    left_date = models.DateField(_("date left"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["household", "relation", "birth_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["id_number"], condition=models.Q(active=True, id_number__isnull=False),
                                    name="member_active_id_unique"),
        ]
        indexes = [
            models.Index(fields=["area_code"], name="member_area_code"),
            models.Index(fields=["name"], name="member_name"),
            models.Index(fields=["name_pinyin"], name="member_name_pinyin"),
            models.Index(fields=["id_number"], name="member_id_number"),
            # LIKE 'prefix%' on PostgreSQL needs the pattern operator class. The search by the
            # last digits of an ID number reads the area and household from the index alone
            # (INCLUDE: PostgreSQL only), however many members share those digits.
            CoveringIndex(fields=["id_rev"], opclasses=["varchar_pattern_ops"], covering=["area_code", "household"],
                          name="member_id_rev_cover"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.id_rev = (self.id_number or "")[::-1]
        super().save(*args, **kwargs)


class DuplicateCandidate(models.Model):
    """Two members who may be the same person without an ID match. Reviewed by a
    person; never merged automatically."""

    PENDING, DIFFERENT, SAME = "pending", "different", "same"
    a = models.ForeignKey(Member, models.CASCADE, related_name="+")
    b = models.ForeignKey(Member, models.CASCADE, related_name="+")
    area_code = models.CharField(max_length=15, db_index=True)
    reason = models.CharField(_("reason"), max_length=40)
    status = models.CharField(_("status"), max_length=10, default=PENDING, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["a", "b"], name="duplicate_pair_unique")]


class Income(models.Model):
    """经济收入一本账: a household's itemised income and costs in a year."""

    household = models.ForeignKey(Household, models.CASCADE, related_name="incomes")
    area_code = models.CharField(max_length=15, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    wages = models.DecimalField(_("wages"), **AMOUNT)
    crops = models.DecimalField(_("crops"), **AMOUNT)
    forestry = models.DecimalField(_("forestry"), **AMOUNT)
    livestock = models.DecimalField(_("livestock"), **AMOUNT)
    poultry = models.DecimalField(_("poultry"), **AMOUNT)
    fisheries = models.DecimalField(_("fisheries"), **AMOUNT)
    other_production = models.DecimalField(_("other production"), **AMOUNT)
    land_rent = models.DecimalField(_("land rent and shares"), **AMOUNT)
    dividends = models.DecimalField(_("dividends"), **AMOUNT)
    other_property = models.DecimalField(_("other property income"), **AMOUNT)
    dibao = models.DecimalField(_("低保 payments"), **AMOUNT)
    tekun = models.DecimalField(_("特困 support payments"), **AMOUNT)
    pensions = models.DecimalField(_("pensions"), **AMOUNT)
    eco_compensation = models.DecimalField(_("ecological compensation"), **AMOUNT)
    subsidies = models.DecimalField(_("subsidies"), **AMOUNT)
    other_transfer = models.DecimalField(_("other transfers"), **AMOUNT)
    production_costs = models.DecimalField(_("production costs"), **AMOUNT)
    household_size = models.PositiveSmallIntegerField(_("household size"))
    total_income = models.DecimalField(_("total income"), **AMOUNT)
    net_income = models.DecimalField(_("net income"), **AMOUNT)
    per_capita = models.DecimalField(_("per-capita net income"), **AMOUNT)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("income")
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="income_household_year")]
        indexes = [models.Index(fields=["area_code", "year"])]

    def __str__(self):
        return f"{self.household.number if self.household_id else ''} {self.year}".strip()


class RecheckRound(models.Model):
    """一年一核: a re-check round over an area for a year."""

    OPEN, CLOSED = "open", "closed"
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    area_code = models.CharField(max_length=15, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(_("status"), max_length=10, default=OPEN)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    household_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "year"], name="recheck_round_unique")]


class RecheckRecord(models.Model):
    round = models.ForeignKey(RecheckRound, models.CASCADE, related_name="records")
    household = models.ForeignKey(Household, models.CASCADE, related_name="rechecks")
    area_code = models.CharField(max_length=15, db_index=True)
    checked = models.BooleanField(default=False)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)
    changes = models.TextField(_("what changed"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "household"], name="recheck_record_unique")]


class HouseholdSnapshot(models.Model):
    """A household as it stood when a re-check round closed (the year's frozen record)."""

    round = models.ForeignKey(RecheckRound, models.CASCADE, related_name="snapshots")
    household = models.ForeignKey(Household, models.CASCADE, related_name="+")
    area_code = models.CharField(max_length=15, db_index=True)
    year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=14)
    category = models.CharField(max_length=2)
    main_cause = models.CharField(max_length=2, blank=True)
    size = models.PositiveSmallIntegerField()
    per_capita = models.DecimalField(max_digits=12, decimal_places=2, null=True)

    class Meta:
        # A household's figures of a year are frozen once (rounds of a year do not overlap:
        # actions.open_recheck); the index also serves close_recheck's "not frozen yet".
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="household_snapshot_once_a_year")]


class QualityRun(models.Model):
    area_code = models.CharField(max_length=15, db_index=True)
    job = models.ForeignKey("jobs.Job", models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    issue_count = models.PositiveIntegerField(default=0)
    # What the run checked against (kept here: the job may be deleted).
    reference_date = models.DateField(_("reference date"), null=True, blank=True)
    income_year = models.PositiveSmallIntegerField(_("income year"), null=True, blank=True)


class QualityIssue(models.Model):
    run = models.ForeignKey(QualityRun, models.CASCADE, related_name="issues")
    rule = models.CharField(max_length=40, db_index=True)
    severity = models.CharField(max_length=10)
    household = models.ForeignKey(Household, models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, models.CASCADE, null=True, blank=True, related_name="+")
    area_code = models.CharField(max_length=15, db_index=True)
    detail = models.CharField(max_length=200, blank=True)


from .models_stats import StatsRollup  # noqa: E402,F401  (the statistics rollup, refreshed by a job)
