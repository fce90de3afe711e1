"""The left menu, by domain. Each item names the permission it needs; apps added by
later work append their sections here."""

from django.utils.translation import gettext_lazy as _

MENU = [
    {
        "title": _("Overview"),
        "items": [
            {"label": _("Home"), "url": "core:home", "icon": "house", "perm": "area.view"},
        ],
    },
    {
        "title": _("Registry (建档立卡)"),
        "items": [
            {"label": _("Households"), "url": "registry:households", "icon": "house-door", "perm": "registry.view"},
            {"label": _("Village register"), "url": "registry:registers", "icon": "journal-bookmark",
             "perm": "registry.view"},
            {"label": _("Statistics"), "url": "registry:stats", "icon": "bar-chart", "perm": "stats.view"},
            {"label": _("Import and export"), "url": "registry:exchange", "icon": "arrow-left-right",
             "perm": "registry.import"},
            {"label": _("Data quality"), "url": "registry:quality", "icon": "clipboard-check",
             "perm": "registry.view"},
            {"label": _("Possible duplicates"), "url": "registry:duplicates", "icon": "people",
             "perm": "registry.edit"},
            {"label": _("Yearly re-check"), "url": "registry:rechecks", "icon": "arrow-repeat",
             "perm": "registry.view"},
        ],
    },
    {
        "title": _("Identification (识别)"),
        "items": [
            {"label": _("Standards and lines"), "url": "identification:standards", "icon": "rulers",
             "perm": "registry.view"},
            {"label": _("Eligibility rules"), "url": "identification:rules", "icon": "funnel",
             "perm": "registry.view"},
            {"label": _("Procedures and notices"), "url": "procedures:list", "icon": "signpost-split",
             "perm": "registry.view"},
            {"label": _("Data comparison"), "url": "comparison:home", "icon": "search",
             "perm": "comparison.view"},
        ],
    },
    {
        "title": _("Assistance (帮扶)"),
        "items": [
            # a helper's own households (the phone page): whoever may log visits may open it
            {"label": _("My households"), "url": "assistance:mine", "icon": "person-check", "perm": "visits.log"},
            {"label": _("Helpers and pairings"), "url": "assistance:helpers", "icon": "person-hearts",
             "perm": "registry.view"},
            {"label": _("Work teams"), "url": "assistance:teams", "icon": "people-fill", "perm": "registry.view"},
            {"label": _("Plans and measures"), "url": "assistance:measures", "icon": "list-check",
             "perm": "registry.view"},
            {"label": _("Visits"), "url": "assistance:visits", "icon": "door-open", "perm": "registry.view"},
            {"label": _("Public-welfare posts"), "url": "assistance:posts", "icon": "tree", "perm": "registry.view"},
            {"label": _("Coverage"), "url": "assistance:coverage", "icon": "grid-3x3-gap", "perm": "registry.view"},
        ],
    },
    {
        # Issue 6. Each app adds its items on its own line below.
        "title": _("Exit and monitoring (退出与监测)"),
        "items": [
            # exits
            {"label": _("Exit check"), "url": "exits:check", "icon": "box-arrow-right", "perm": "registry.view"},
            {"label": _("Observation after exit"), "url": "exits:observation", "icon": "hourglass-bottom",
             "perm": "registry.view"},
            {"label": _("Returns to poverty"), "url": "exits:returns", "icon": "arrow-counterclockwise",
             "perm": "registry.view"},
            # delisting
            {"label": _("Village exit"), "url": "delisting:villages", "icon": "flag", "perm": "registry.view"},
            {"label": _("County exit assessments"), "url": "delisting:rounds", "icon": "clipboard-check",
             "perm": "registry.view"},
            # monitoring
            {"label": _("Monitored households"), "url": "monitoring:index", "icon": "shield-exclamation",
             "perm": "registry.view"},
            {"label": _("Warning worklist"), "url": "monitoring:worklist", "icon": "exclamation-triangle",
             "perm": "registry.view"},
            {"label": _("Monitoring applications"), "url": "monitoring:applications", "icon": "inbox",
             "perm": "monitoring.edit"},
            {"label": _("Department warnings"), "url": "monitoring:warnings", "icon": "building-exclamation",
             "perm": "monitoring.warn"},
            # dynamics
            {"label": _("Dynamic management"), "url": "dynamics:index", "icon": "arrow-left-right",
             "perm": "stats.view"},
        ],
    },
    {
        "title": _("Areas and organisation"),
        "items": [
            {"label": _("Areas"), "url": "areas:list", "icon": "geo-alt", "perm": "area.view"},
            {"label": _("Units"), "url": "areas:units", "icon": "building", "perm": "area.view"},
            {"label": _("Users"), "url": "accounts:users", "icon": "people", "perm": "users.view"},
        ],
    },
    {
        "title": _("System"),
        "items": [
            {"label": _("Background jobs"), "url": "jobs:list", "icon": "hourglass-split", "perm": "area.view"},
            {"label": _("Audit log"), "url": "audit:list", "icon": "journal-text", "perm": "audit.view"},
        ],
    },
]
