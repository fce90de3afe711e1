"""Roles and what each may do. docs/permissions.md shows this table; a test keeps
the two identical. Pure data, no ORM."""

from django.utils.translation import gettext_lazy as _

# The roles code refers to by name (the others appear only in the tables below).
HELPER, ADMIN = "helper", "admin"

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
    "registry.correct": _("Correct a household's status outside the procedures (logged, with a reason)"),
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
    "procedures.village": _("Act on village steps of procedures (application, appraisal, village notice)"),
    "procedures.township": _("Act on township steps of procedures (review, township notice)"),
    "procedures.county": _("Act on county steps of procedures (data check, approval, announcement)"),
    "procedures.types": _("Edit procedure types (steps, notice periods, pass rules)"),
    "standards.edit": _("Edit the lines, rule sets and veto conditions of the area"),
    "identification.run": _("Run the eligibility rules and what-if simulations over the area"),
    "comparison.view": _("See other departments' data sets and the hits of the area (confidential; every view "
                         "is logged)"),
    "comparison.import": _("Import other departments' data sets and run the matching"),
    "comparison.decide": _("Record the village's decision on a data-comparison hit"),
    "comparison.review": _("Review (approve or send back) the decisions on data-comparison hits"),
    "comparison.archive": _("Archive reviewed data-comparison hits (the county file)"),
    "assistance.edit": _("Record helpers, pairings, links, work teams, plans, measures and posts"),
    "visits.log": _("Log visits (and a helper's own measures) for the households one helps"),
    "monitoring.edit": _("Record households at risk, their risks, how they were found, help given first, and "
                         "risk clearance"),
    "monitoring.warn": _("Import departments' warnings and run the early-warning rules over the area"),
    "delisting.assess": _("Assess villages for delisting and run a county's exit assessment round"),
    "delisting.survey": _("Enter the survey records of households sampled in a county exit assessment"),
    "delisting.approve": _("Approve a county's exit at city or province level"),
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

# Procedures (issue 4): a role acts on procedure steps of its own level and below.
for _role, _perms in {
    "village_cadre": {"procedures.village"},
    "work_team": {"procedures.village"},
    "township_officer": {"procedures.village", "procedures.township"},
    "county_office": {"procedures.village", "procedures.township", "procedures.county"},
}.items():
    PERMISSIONS[_role] = PERMISSIONS[_role] | _perms

# Standards and eligibility rules (issue 4): a county office keeps its county's local
# lines and rule sets (national, provincial and city ones are an administrator's at
# that level); townships and counties run the rules over their area.
for _role, _perms in {
    "township_officer": {"identification.run"},
    "county_office": {"standards.edit", "identification.run"},
}.items():
    PERMISSIONS[_role] = PERMISSIONS[_role] | _perms

# Data comparison (issue 4, seed 003 谁核查谁保密): the data sets and hits are seen only
# by the roles that verify them, in their area; departments import; villages decide,
# townships review, counties archive.
for _role, _perms in {
    "village_cadre": {"comparison.view", "comparison.decide"},
    "work_team": {"comparison.view", "comparison.decide"},
    "township_officer": {"comparison.view", "comparison.decide", "comparison.review"},
    "county_office": {"comparison.view", "comparison.import", "comparison.decide", "comparison.review",
                      "comparison.archive"},
    "department_officer": {"comparison.import"},
    "inspector": {"comparison.view"},
}.items():
    PERMISSIONS[_role] = PERMISSIONS[_role] | _perms

# Assistance (issue 5): offices and village cadres keep the assistance records; helpers
# log their own visits (and the measures for their own households, see assistance.actions).
for _role, _perms in {
    "village_cadre": {"assistance.edit", "visits.log"},
    "work_team": {"assistance.edit", "visits.log"},
    "helper": {"visits.log"},
    "township_officer": {"assistance.edit", "visits.log"},
    "county_office": {"assistance.edit", "visits.log"},
}.items():
    PERMISSIONS[_role] = PERMISSIONS[_role] | _perms

# Exit, delisting and monitoring (issue 6). Exit and return procedures use the
# procedures.* permissions; exit criteria and warning rules are standards
# (standards.edit). Monitoring is kept by the village and the offices; departments
# send warnings; the county assessment's surveys are entered by inspectors (the
# assessors); city and province leaders approve a county's exit.
for _role, _perms in {
    "village_cadre": {"monitoring.edit"},
    "work_team": {"monitoring.edit"},
    "township_officer": {"monitoring.edit", "monitoring.warn"},
    "county_office": {"monitoring.edit", "monitoring.warn", "delisting.assess"},
    "department_officer": {"monitoring.warn"},
    "inspector": {"delisting.survey"},
    "leader": {"delisting.approve"},
}.items():
    PERMISSIONS[_role] = PERMISSIONS[_role] | _perms

# Statuses that a procedure sets when it completes (identification, exit: registry.actions.
# procedure_statuses, from the procedure types' data) are set by hand or through the API only as
# a correction, by the county office (and administrators), with a reason, logged as a correction.
PERMISSIONS["county_office"] = PERMISSIONS["county_office"] | {"registry.correct"}

# Roles that only an administrator may grant.
ADMIN_GRANTED_ROLES = frozenset({"admin", "leader", "inspector"})


def role_permits(role: str, perm: str) -> bool:
    return perm in PERMISSIONS.get(role, frozenset())
