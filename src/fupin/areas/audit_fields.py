"""What the areas app's audit events log besides their object's fields, for the log's pages
(fupin.audit.present reads this module; see its docstring)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

FIELDS = {
    "areas.area": {
        "created": gettext_lazy("areas added"),
        "renamed": gettext_lazy("areas renamed"),
        "file": gettext_lazy("file"),
    },
}
