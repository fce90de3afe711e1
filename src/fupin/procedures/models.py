"""The procedure engine: procedure types (data), batches of households going through
a type's steps together, the dated record of each step, the documents a step
produces, the village representatives' appraisal, and objections during notices.

A batch keeps a copy of its type's definition when it starts, so an administrator
editing the type later changes new batches only."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.areas.models import Area

from . import labels, rules


class ProcedureType(models.Model):
    """A procedure as data: its ordered steps, who acts, notice lengths, documents, the
    completion hook (see rules.py for the format). Loaded from data/procedure_types.json."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    purpose = models.CharField(_("purpose"), max_length=40, db_index=True)
    source = models.TextField(_("source document"))
    definition = models.JSONField(_("definition"))
    active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("procedure type")
        verbose_name_plural = _("procedure types")
        ordering = ["purpose", "code"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return labels.localized({"name": self.name, "name_en": self.name_en})

    @property
    def steps(self) -> list[dict]:
        return self.definition.get("steps", [])


class ProcedureBatch(models.Model):
    """One run of a procedure type for a list of households in an area."""

    STATUS_CHOICES = [(rules.OPEN, _("In progress")), (rules.DONE, _("Completed")),
                      (rules.CANCELLED, _("Cancelled"))]

    type = models.ForeignKey(ProcedureType, models.PROTECT, related_name="batches", verbose_name=_("procedure"))
    definition = models.JSONField(editable=False)  # the type's definition when the batch started
    title = models.CharField(_("title"), max_length=200)
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    area_code = models.CharField(_("area code"), max_length=15, db_index=True, editable=False)
    county_code = models.CharField(max_length=6, db_index=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES, default=rules.OPEN,
                              db_index=True)
    step_index = models.PositiveSmallIntegerField(_("current step"), default=0)
    # Optimistic lock: every change of the batch or its members adds one; an action
    # carrying an older number is refused (Conflict) and does nothing.
    version = models.PositiveIntegerField(default=1)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("continues batch"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                                   verbose_name=_("started by"))
    created_at = models.DateTimeField(_("started at"))
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("procedure batch")
        verbose_name_plural = _("procedure batches")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["area_code", "status"])]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.area_code = self.area.code
        self.county_code = self.area_code[:6]
        super().save(*args, **kwargs)

    @property
    def steps(self) -> list[dict]:
        return self.definition["steps"]

    @property
    def current_step(self) -> dict | None:
        if self.status != rules.OPEN or self.step_index >= len(self.steps):
            return None
        return self.steps[self.step_index]

    @property
    def type_label(self) -> str:
        return labels.localized(self.definition)

    @property
    def current_step_label(self) -> str:
        step = self.current_step
        return labels.localized(step) if step else ""


class BatchMember(models.Model):
    """A household in a batch, and where it stands."""

    STATE_CHOICES = [
        (rules.ACTIVE, _("Active")),
        (rules.HELD, _("Held (objection)")),
        (rules.WITHDRAWN, _("Withdrawn")),
        (rules.COMPLETED, _("Completed")),
        (rules.MOVED, _("Continues in a follow-up batch")),
    ]

    batch = models.ForeignKey(ProcedureBatch, models.CASCADE, related_name="members")
    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="procedure_memberships")
    area_code = models.CharField(max_length=15, db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=STATE_CHOICES, default=rules.ACTIVE)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    held_step = models.PositiveSmallIntegerField(null=True, blank=True)  # the notice it is held in
    left_step = models.PositiveSmallIntegerField(null=True, blank=True)  # where it was withdrawn
    moved_to = models.ForeignKey(ProcedureBatch, models.SET_NULL, null=True, blank=True, related_name="+")
    completed_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("household in a procedure")
        ordering = ["batch", "area_code", "household__number"]
        constraints = [models.UniqueConstraint(fields=["batch", "household"], name="batch_member_unique")]
        indexes = [models.Index(fields=["household", "state"])]

    def __str__(self):
        return str(self.household)


class StepRecord(models.Model):
    """A step of a batch: when it started (for a notice: the day it went up) and closed,
    who acted, the notes. Created when the step becomes current."""

    batch = models.ForeignKey(ProcedureBatch, models.CASCADE, related_name="records")
    index = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=40)
    started = models.DateField(_("started"), null=True, blank=True)
    closed = models.DateField(_("closed"), null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    notes = models.TextField(_("notes"), blank=True)
    listed = models.JSONField(default=list, blank=True)  # a notice: the members it listed (BatchMember ids)

    class Meta:
        ordering = ["batch", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="step_record_unique")]

    def __str__(self):
        return f"{self.batch_id}/{self.code}"

    @property
    def step(self) -> dict:
        return self.batch.steps[self.index]


class StepDocument(models.Model):
    """A document a step produced (by code, from the type's document list), see
    documents.py. When the step produces it (a notice when it is published, any other
    step when it closes), ``data`` keeps a snapshot of the record at that moment; the
    PDF is rendered from that snapshot the first time it is downloaded and then kept
    (with its SHA-256). Regenerating never changes a stored document: it adds a new
    version with a fresh snapshot."""

    record = models.ForeignKey(StepRecord, models.CASCADE, related_name="documents")
    code = models.CharField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    data = models.JSONField(default=dict, blank=True, editable=False)  # the snapshot the document is rendered from
    file = models.FileField(_("file"), upload_to="procedures/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True, editable=False)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    note = models.CharField(_("reason for a new version"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["record", "id"]
        constraints = [models.UniqueConstraint(fields=["record", "code", "version"], name="step_document_version")]

    def __str__(self):
        return f"{self.title} v{self.version}"


class AppraisalMeeting(models.Model):
    """The village representatives' meeting (民主评议) of an appraisal step."""

    record = models.OneToOneField(StepRecord, models.CASCADE, related_name="meeting")
    held_on = models.DateField(_("meeting date"))
    total = models.PositiveSmallIntegerField(_("representatives"))
    present = models.PositiveSmallIntegerField(_("present"))
    minutes = models.TextField(_("minutes"))
    rule = models.JSONField()  # the pass rule applied
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField()


class AppraisalVote(models.Model):
    meeting = models.ForeignKey(AppraisalMeeting, models.CASCADE, related_name="votes")
    member = models.ForeignKey(BatchMember, models.CASCADE, related_name="votes")
    votes_for = models.PositiveSmallIntegerField(_("for"))
    against = models.PositiveSmallIntegerField(_("against"))
    abstain = models.PositiveSmallIntegerField(_("abstaining"))
    passed = models.BooleanField(_("passed"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="appraisal_vote_unique")]


class Objection(models.Model):
    """An objection (异议) to a listed household during a notice. While open it holds the
    household; upheld, the household leaves the batch; rejected, the objector gets a
    written answer and the household rejoins."""

    OPEN, UPHELD, REJECTED, SUPERSEDED = "open", "upheld", "rejected", "superseded"
    STATUS_CHOICES = [(OPEN, _("Open")), (UPHELD, _("Upheld")), (REJECTED, _("Rejected")),
                      (SUPERSEDED, _("Closed: the household left"))]

    batch = models.ForeignKey(ProcedureBatch, models.CASCADE, related_name="objections")
    member = models.ForeignKey(BatchMember, models.CASCADE, related_name="objections")
    record = models.ForeignKey(StepRecord, models.PROTECT, related_name="objections")
    area_code = models.CharField(max_length=15, db_index=True)
    objector_name = models.CharField(_("objector"), max_length=60, blank=True)
    objector_contact = models.CharField(_("objector's contact"), max_length=40, blank=True)
    content = models.TextField(_("objection"))
    received_on = models.DateField(_("received on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField()
    status = models.CharField(_("status"), max_length=12, choices=STATUS_CHOICES, default=OPEN, db_index=True)
    resolution = models.TextField(_("decision"), blank=True)  # the reason (upheld) or the written answer
    resolved_on = models.DateField(_("decided on"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["batch", "received_on", "id"]

    def __str__(self):
        return f"{self.member} · {self.content[:40]}"
