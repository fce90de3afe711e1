"""Roles and what each may do. docs/permissions.md shows this table; a test keeps
the two identical. Pure data, no ORM."""

from django.utils.translation import gettext_lazy as _

ROLES = {
    "village_cadre": _("Village cadre"),
    "work_team": _("Work-team member"),
    "helper": _("Helper"),
    "township_officer": _("Township officer"),
    "county_office": _("County poverty office"),
    "department_officer": _("Department officer"),
    "inspector": _("Inspector / auditor"),
    "leader": _("City / province leader"),
    "admin": _("System administrator"),
}

PERMISSION_LABELS = {
    "area.view": _("See areas, units and the home page of the area"),
    "registry.view": _("See households and members"),
    "registry.edit": _("Enter and change households, members and income"),
    "registry.import": _("Import registry files"),
    "registry.export": _("Export registry data with personal fields"),
    "pii.reveal": _("Show ID numbers, phones and bank accounts unmasked (logged)"),
    "stats.view": _("See statistics of the area"),
    "users.view": _("See the users of the area"),
    "users.manage": _("Create users, grant roles, issue tokens"),
    "units.manage": _("Create and change units"),
    "areas.manage": _("Import villages and change areas"),
    "audit.view": _("Search the audit log"),
    "jobs.view": _("See every background job of the area"),
}

_ALL = frozenset(PERMISSION_LABELS)
_BASE = frozenset({"area.view", "registry.view", "stats.view"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "village_cadre": _BASE | {"registry.edit", "pii.reveal"},
    "work_team": _BASE | {"registry.edit", "pii.reveal"},
    "helper": _BASE,
    "township_officer": _BASE
    | {"registry.edit", "registry.import", "registry.export", "pii.reveal", "users.view", "jobs.view"},
    "county_office": _BASE
    | {
        "registry.edit",
        "registry.import",
        "registry.export",
        "pii.reveal",
        "users.view",
        "users.manage",
        "units.manage",
        "areas.manage",
        "jobs.view",
    },
    "department_officer": _BASE,
    "inspector": _BASE | {"registry.export", "pii.reveal", "audit.view", "users.view", "jobs.view"},
    "leader": _BASE | {"users.view"},
    "admin": _ALL,
}

# Roles that only an administrator may grant.
ADMIN_GRANTED_ROLES = frozenset({"admin", "leader", "inspector"})


def role_permits(role: str, perm: str) -> bool:
    return perm in PERMISSIONS.get(role, frozenset())
