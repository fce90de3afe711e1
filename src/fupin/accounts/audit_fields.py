"""What the accounts app's audit events log besides their object's fields, for the log's
pages (fupin.audit.present reads this module; see its docstring). A role's code is read by
its label in fupin.audit.present.code_values."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

FIELDS = {
    "accounts.user": {
        "role": gettext_lazy("role"),
        "area": gettext_lazy("area (code prefix)"),
    },
    "accounts.token.": {
        "token": gettext_lazy("token (its first characters)"),
        "label": gettext_lazy("label"),
    },
}
