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
