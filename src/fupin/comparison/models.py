"""Other departments' data (数据比对 / 财产检索, seed 003 第二篇), stored generically.

- The identification cut-off (识别时间节点) of an area is identification's
  ``CutoffDate`` (standards belong to identification); matching reads it.
- ``ExternalDataset``: one imported file of one kind (vehicles, real estate, 民政 低保
  list …, see data/kinds.json), with its source and as-of date, covering an area.
- ``ExternalRecord``: one row of it, keyed on the ID number; the columns every kind
  shares (name, area code, event date, amount) have their own columns, the rest is JSON.
  ``area_code`` is the file's own area column, else the data set's area, refined to the
  matched member's area by matching.
- ``Hit``: a record that matched a registered member (members × records on the ID
  number), classified before/after the cut-off, and its way through the verification
  queue: village decision → township review → county archive. An approved decision
  becomes an identification ``MemberFact`` (source ``comparison:<hit id>``), which the
  eligibility rules' veto conditions read.

Every table carries an area code so that a county's rows are one indexed range."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import rules

AMOUNT = {"max_digits": rules.AMOUNT_DIGITS, "decimal_places": rules.AMOUNT_PLACES}


class ExternalDataset(models.Model):
    kind = models.CharField(_("kind"), max_length=20, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source (department, document)"), max_length=300)
    as_of = models.DateField(_("as of"))
    area_code = models.CharField(_("area covered"), max_length=15, blank=True, db_index=True,
                                 help_text=_("Members of this area are matched against the data set."))
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    record_count = models.PositiveIntegerField(_("records"), default=0)
    hit_count = models.PositiveIntegerField(_("hits"), default=0)
    matched_at = models.DateTimeField(_("last matched"), null=True, blank=True)
    job = models.ForeignKey("jobs.Job", models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("imported by"))
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("data set")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name

    @property
    def kind_def(self) -> rules.Kind:
        return rules.kinds()[self.kind]

    @property
    def kind_label(self) -> str:
        k = rules.kinds().get(self.kind)
        return k.label if k else self.kind


class ExternalRecord(models.Model):
    # Millions of rows per import: no database-level foreign key to check row by row at
    # commit (the data set is created in the same transaction; Django cascades deletes).
    dataset = models.ForeignKey(ExternalDataset, models.CASCADE, related_name="records", db_index=False,
                                db_constraint=False)
    row_no = models.PositiveIntegerField(_("row"))
    id_number = models.CharField(_("ID number"), max_length=18)
    name = models.CharField(_("name"), max_length=60, blank=True)
    # The other columns that identify the row within its file (a plate number, a
    # certificate number …), joined with " | ": the duplicate check and the label.
    key = models.CharField(_("identifying columns"), max_length=300, blank=True)
    area_code = models.CharField(_("area code"), max_length=15, blank=True)
    event_date = models.DateField(_("date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), null=True, blank=True, **AMOUNT)
    data = models.JSONField(_("other columns"), default=dict, blank=True)

    class Meta:
        verbose_name = _("record")
        # (the data set's foreign key is the first column of both indexes)
        indexes = [models.Index(fields=["dataset", "id_number"]), models.Index(fields=["dataset", "area_code"])]

    def __str__(self):
        return f"{self.dataset_id}:{self.row_no}"


class Hit(models.Model):
    PHASE_CHOICES = list(rules.PHASES.items())
    STATUS_CHOICES = list(rules.STATUSES.items())
    DECISION_CHOICES = [("", _("none yet")), *rules.DECISIONS.items()]

    # Written by one INSERT … SELECT from rows that exist (a join): no database-level
    # foreign keys to check row by row at commit; Django cascades deletes.
    dataset = models.ForeignKey(ExternalDataset, models.CASCADE, related_name="hits", db_index=False,
                                db_constraint=False)
    record = models.OneToOneField(ExternalRecord, models.CASCADE, related_name="hit", db_constraint=False)
    member = models.ForeignKey("registry.Member", models.CASCADE, related_name="+", db_constraint=False)
    household = models.ForeignKey("registry.Household", models.CASCADE, related_name="+", db_constraint=False)
    area_code = models.CharField(_("area code"), max_length=15)
    kind = models.CharField(_("kind"), max_length=20)
    event_date = models.DateField(_("date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), null=True, blank=True, **AMOUNT)
    cutoff = models.DateField(_("cut-off"), null=True, blank=True)
    phase = models.CharField(_("before or after the cut-off"), max_length=10, choices=PHASE_CHOICES)
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES)
    decision = models.CharField(_("decision"), max_length=10, choices=DECISION_CHOICES, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", db_index=False, verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    review_note = models.TextField(_("township's note"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", db_index=False, verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    archived_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", db_index=False, verbose_name=_("archived by"))
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    fact = models.ForeignKey("identification.MemberFact", models.SET_NULL, null=True, blank=True, related_name="+",
                             db_index=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hit")
        verbose_name_plural = _("hits")
        ordering = ["area_code", "household_id", "kind", "id"]
        # (the data set's foreign key is the first column of its index)
        indexes = [models.Index(fields=["area_code", "status"]), models.Index(fields=["dataset", "area_code"])]

    def __str__(self):  # (the audit log's object name: in Chinese whatever the reader's language)
        k = rules.kinds().get(self.kind)
        return f"{k.zh if k else self.kind} {self.household_id}"

    def get_kind_display(self) -> str:
        k = rules.kinds().get(self.kind)
        return k.label if k else self.kind

    @property
    def needs_decision(self) -> bool:
        return self.phase in rules.NEEDS_DECISION

    @property
    def count_kind(self) -> str | None:
        """What the hit is counted and listed as (rules.COUNT_KINDS): its phase, an undated
        hit told apart by its cut-off (no_cutoff: none set for its area; undated: date unknown)."""
        return rules.count_kind(self.phase, self.cutoff)
