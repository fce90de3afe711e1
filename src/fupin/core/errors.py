"""Errors raised by actions. Each carries a stable code (for the API) and a message
in the user's language (gettext), and optionally the field and row it is about."""

from django.utils.translation import gettext_lazy as _


class ActionError(Exception):
    code = "error"
    status = 400
    default_message = _("The operation could not be completed.")

    def __init__(self, message=None, *, field: str | None = None, code: str | None = None, details=None):
        self.message = message if message is not None else self.default_message
        self.field = field
        if code:
            self.code = code
        self.details = details or {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        data = {"code": self.code, "message": str(self.message)}
        if self.field:
            data["field"] = self.field
        if self.details:
            data["details"] = self.details
        return data


class Invalid(ActionError):
    code = "invalid"
    status = 422
    default_message = _("The data is not valid.")


class Forbidden(ActionError):
    code = "forbidden"
    status = 403
    default_message = _("You do not have permission to do this.")


class NotFound(ActionError):
    code = "not_found"
    status = 404
    default_message = _("Not found, or not in your area.")


class Conflict(ActionError):
    code = "conflict"
    status = 409
    default_message = _("Someone else changed this at the same time; nothing was done. Reload and try again.")


class Unavailable(ActionError):
    """The server cannot do it now (a document that could not be rendered or read): 503."""

    code = "unavailable"
    status = 503
    default_message = _("This could not be done now; try again later or tell the administrator.")


def check_version(obj, version) -> None:
    """Optimistic concurrency: the version a form or request was loaded with must still be
    ``obj.version`` (two people saving the same record at once: the second is refused); a
    version that is not a number (a tampered form) is refused the same way, never a 500.
    No version given: nothing to check."""
    if version in (None, ""):
        return
    try:
        version = int(version)
    except (TypeError, ValueError, OverflowError):
        raise Conflict() from None
    if version != obj.version:
        raise Conflict()
