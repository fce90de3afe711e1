import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import rules


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    unit = models.ForeignKey("areas.Unit", models.PROTECT, null=True, blank=True, related_name="users",
                             verbose_name=_("unit"))
    post = models.CharField(_("post"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    failed_logins = models.PositiveSmallIntegerField(default=0, editable=False)
    # When the current count of failed sign-ins began: failures are counted within
    # settings.LOCKOUT_WINDOW_MINUTES of it; a failure after that starts a new count.
    failed_since = models.DateTimeField(null=True, blank=True, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class RoleAssignment(models.Model):
    """A role held at an area: grants that area and everything under it."""

    ROLE_CHOICES = list(rules.ROLES.items())

    user = models.ForeignKey(User, models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=ROLE_CHOICES)
    area = models.ForeignKey("areas.Area", models.PROTECT, null=True, blank=True, verbose_name=_("area"))
    # Significant digits of the area's code; "" means the whole country (administrators).
    prefix = models.CharField(_("area prefix"), max_length=15, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [models.UniqueConstraint(fields=["user", "role", "prefix"], name="role_unique")]

    def __str__(self):
        return f"{self.get_role_display()} @ {self.area or _('whole country')}"


class ApiToken(models.Model):
    """A bearer token for the REST API. Only a hash is kept; the token is shown once."""

    user = models.ForeignKey(User, models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
