from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import labels


class AuditEvent(models.Model):
    """One change of state, or one sensitive read or export. Append-only: the app has
    no update or delete path, and database triggers refuse both (migration 0002)."""

    KIND_CHOICES = [
        ("change", _("Change")),
        ("bulk", _("Bulk change")),
        ("read", _("Sensitive read")),
        ("export", _("Export of personal data")),
        ("auth", _("Sign-in")),
    ]

    at = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=KIND_CHOICES)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.DO_NOTHING, null=True, db_constraint=False,
                             related_name="+", verbose_name=_("user"))
    username = models.CharField(_("user name"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10)
    object_type = models.CharField(_("object type"), max_length=60, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    area_code = models.CharField(_("area code"), max_length=15, blank=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    count = models.PositiveIntegerField(_("rows"), default=1)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action}"

    @property
    def action_label(self) -> str:
        """What the action means, in the reader's language (audit/labels.py; the code when unknown)."""
        return labels.label(self.action)

    def changed_fields(self) -> list[tuple[str, object, object]]:
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class AuditItem(models.Model):
    """A row touched by a bulk event, so the event can list what it changed."""

    event = models.ForeignKey(AuditEvent, models.DO_NOTHING, db_constraint=False, related_name="items")
    object_id = models.CharField(max_length=64)
    change = models.CharField(max_length=10, blank=True)  # created | updated | deleted

    class Meta:
        indexes = [models.Index(fields=["event", "object_id"])]
