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
            # delisting
            # monitoring
            # dynamics
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
