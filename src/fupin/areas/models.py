from django.db import models
from django.utils.translation import gettext_lazy as _

from . import rules


class Area(models.Model):
    """An administrative division (行政区划) or village group, with its period of validity.

    Codes change over time: a retired code keeps its row with ``valid_to`` set, so
    records that name it still resolve."""

    LEVEL_CHOICES = [(level, rules.LEVEL_LABELS[level]) for level in rules.LEVELS]

    code = models.CharField(_("code"), max_length=15, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=LEVEL_CHOICES)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children")
    # 城乡分类代码 of the statistical village list (111 主城区 … 220 村庄), when known.
    urban_rural_class = models.CharField(_("urban-rural class"), max_length=3, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(valid_to__isnull=True), name="area_code_current_unique"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def prefix(self) -> str:
        return rules.prefix_of(self.code, self.level)

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    def ancestors(self) -> list["Area"]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    @property
    def full_name(self) -> str:
        return "".join(a.name for a in [*self.ancestors(), self])


class Unit(models.Model):
    """An organisational unit (单位): party committee, department, enterprise, bank …"""

    KIND_CHOICES = [
        ("party", _("Party committee")),
        ("government", _("Government department")),
        ("people_congress", _("People's congress / CPPCC")),
        ("public_institution", _("Public institution")),
        ("state_enterprise", _("State enterprise")),
        ("bank", _("Bank or financial institution")),
        ("private_enterprise", _("Private enterprise")),
        ("social_org", _("Social organisation")),
        ("village_org", _("Village organisation")),
        ("other", _("Other")),
    ]

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=KIND_CHOICES)
    level = models.CharField(_("level"), max_length=10, choices=Area.LEVEL_CHOICES)
    area = models.ForeignKey(Area, models.PROTECT, related_name="units", verbose_name=_("area"))
    area_code = models.CharField(_("area code"), max_length=15, db_index=True, editable=False)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["area_code", "name"]
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="unit_name_unique_in_area")]

    def __str__(self):
        return self.name
