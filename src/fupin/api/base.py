"""The REST API's shared parts: token auth, errors as JSON with a stable code and a
message in Chinese (or the language asked for), pagination, the acting Actor, and the
types of the values a client types (``Day``, ``Amount``, ``Quantity``: read like the pages read them)."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError as FormError
from django.db import DataError
from django.http import Http404
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from fupin.accounts.actions import token_user
from fupin.core import dates, money
from fupin.core.actor import Actor
from fupin.core.errors import ActionError

logger = logging.getLogger("django.request")


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = token_user(token)
        if user is None:
            return None
        request.user = user
        return user


def actor(request) -> Actor:
    return Actor.from_request(request, channel="api")


class Error(Schema):
    code: str
    message: str
    field: str | None = Field(None, description="the field the message is about, when known")
    details: dict | None = None
    errors: list[dict] | None = Field(None, description="422 for parameters or a body that do not validate: each "
                                                        "error with its field, msg and loc")


# --- values typed by a client -------------------------------------------------------------

# The error types of the readers below: their msg is the project's message (in the
# caller's language), not pydantic's.
_READ_ERRORS: set[str] = set()


def _refusal(read, value) -> str:
    try:
        read(value)
    except ValueError as exc:
        return str(exc)
    return ""  # (not reached: ``read`` refused ``value`` before)


_lazy_refusal = lazy(_refusal, str)


def _reader(read, error_type: str) -> BeforeValidator:
    """A pydantic validator reading a value with the project's reader ``read`` (ValueError
    with the reason when it refuses): the reason, in the language of the answer (see
    ``install_error_handlers``), is the error's message."""
    _READ_ERRORS.add(error_type)

    def validate(value):
        try:
            return read(value)
        except ValueError:
            raise PydanticCustomError(error_type, "{message}",
                                      {"message": _lazy_refusal(read, value)}) from None

    return BeforeValidator(validate)


def _day(value) -> dt.date:
    """core.dates.typed_date (its message names the value and the reason), nothing typed refused."""
    return dates.typed_date(value) or dates.parse_date(value)


# A date a client sends, in a query parameter or a body (``Day | None`` when it may be
# left out): read as the pages read one (2017-01-05, 2017/1/5, 2017年1月5日, 20170105), so
# that a Unix timestamp, a date-time, 2017-02-30 or a year before core.dates.FIRST_YEAR
# is refused with the project's message.
Day = Annotated[dt.date, _reader(_day, "invalid_date"), WithJsonSchema({"type": "string", "format": "date"})]

# An amount of money a client sends: core.money.parse_amount (yuan, rounded to the cent;
# NaN, infinity, negative and too large refused with the project's message).
Amount = Annotated[Decimal, _reader(money.parse_amount, "invalid_amount"),
                   WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}]})]


def _quantity_reader(model_field):
    """The reader of ``Quantity(model_field)``: the value rounded half up to the field's decimal
    places (as the import and PostgreSQL round), then checked by the field the pages use for it
    (a forms.DecimalField, never negative, at most the model's digits), whose message it gives
    after the field's name."""
    places = model_field.decimal_places
    quantum = Decimal(1).scaleb(-places)
    check = forms.DecimalField(min_value=0, max_digits=model_field.max_digits, decimal_places=places,
                               required=False)

    def read(value) -> Decimal:
        number = value
        try:
            number = Decimal(str(value).strip()).quantize(quantum, ROUND_HALF_UP)
        except (InvalidOperation, ValueError):
            pass  # (not a number, or infinite: the form field says so)
        try:
            number = check.clean(number)
            if number is None:  # (empty text: no number either; null is how a client clears the field)
                raise FormError(check.error_messages["invalid"])
        except FormError as exc:
            raise ValueError(_("%(field)s: %(reason)s") % {"field": model_field.verbose_name,
                                                           "reason": " ".join(exc.messages)}) from None
        return number

    return read


def Quantity(model_field):
    """A number that is not money, for a model's DecimalField (an area in m² or mu, a distance):
    read as the page's form field for it reads one — never negative, NaN and infinity refused,
    at most the model's digits — and rounded half up to the field's decimal places. A refusal's
    message names the field (its label, in the language of the answer) and says what the page
    says."""
    return Annotated[Decimal, _reader(_quantity_reader(model_field), "invalid_number"),
                     WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}], "minimum": 0})]


class Page(Schema):
    count: int
    page: int
    page_size: int


def paginate(qs, page: int, page_size: int):
    page = max(page, 1)
    page_size = min(max(page_size, 1), 500)
    start = (page - 1) * page_size
    count = qs.count()
    # Past the end there is nothing to fetch (and an offset beyond 64 bits would fail in the database).
    items = list(qs[start:start + page_size]) if start < count else []
    return {"count": count, "page": page, "page_size": page_size, "items": items}


COMMON_ERRORS = {
    401: "Unauthorized: no token, or a bad or revoked one",
    403: "Forbidden: the role does not allow this",
    404: "Not found: no such object in your area (in the path or named in the body)",
    422: "Invalid: the request or its data is not valid",
}


def document_errors(schema: dict) -> dict:
    """Add the errors every operation can answer (401, 403, 404, 422; and 400, 409 for
    those with a body; all as ``Error``) to the OpenAPI document, so that it lists every
    status a client may see."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", Error.model_json_schema(ref_template="#/components/schemas/{model}"))
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            errors = dict(COMMON_ERRORS)
            if "requestBody" in operation:
                errors[400] = "Bad request: the body cannot be parsed"
                errors[409] = "Conflict: someone else changed the object at the same time"
            for status, description in errors.items():
                if status not in responses and str(status) not in responses:
                    responses[status] = {"description": description, **ref}
    return schema


def _field(loc) -> str:
    """The field of an error's ``loc`` as the client wrote it: the parameter's name, or the
    field's path in the body (``members.0.birth_date``; ninja puts the name of the route's
    body parameter, which the client never sees, after "body"); "" for the body as a whole."""
    source, *path = loc or ("",)
    if source == "body":
        path = path[1:]
    return ".".join(str(p) for p in path)


def _validation_error(error: dict) -> dict:
    """One of ninja's validation errors for the answer: its field named, and the project's
    message (translated now) when one of our readers refused the value."""
    out = {**error, "field": _field(error.get("loc"))}
    if error.get("type") in _READ_ERRORS:
        out["msg"] = str(error["ctx"]["message"])
        del out["ctx"]
    return out


def install_error_handlers(api) -> None:
    """Errors as JSON ``{"code", "message"}`` in the caller's language, and the
    OpenAPI document saying so for every operation."""
    get_schema = api.get_openapi_schema

    def get_openapi_schema(*, path_prefix=None, path_params=None):
        return document_errors(get_schema(path_prefix=path_prefix, path_params=path_params))

    api.get_openapi_schema = get_openapi_schema

    def respond(request, status, code, message, **extra):
        return api.create_response(request, {"code": code, "message": str(message), **extra}, status=status)

    def _lang(request):
        lang = request.headers.get("Accept-Language", "zh-hans")
        return "en" if lang.lower().startswith("en") else "zh-hans"

    @api.exception_handler(ActionError)
    def action_error(request, exc: ActionError):
        with translation.override(_lang(request)):
            return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        with translation.override(_lang(request)):
            return respond(request, 404, "not_found", _("Not found, or not in your area."))

    @api.exception_handler(AuthenticationError)
    def unauthorized(request, exc):
        with translation.override(_lang(request)):
            return respond(request, 401, "unauthorized", _("A valid API token is required (Authorization: Bearer …)."))

    @api.exception_handler(ValidationError)
    def invalid(request, exc: ValidationError):
        # Parameters or a body that do not validate: the first error's field, with the
        # project's message when a reader above refused it.
        with translation.override(_lang(request)):
            errors = [_validation_error(e) for e in exc.errors]
            first = errors[0] if errors else {}
            message = first["msg"] if first.get("type") in _READ_ERRORS else _("The request is not valid.")
            extra = {"field": first["field"]} if first.get("field") else {}
            return respond(request, 422, "invalid", message, **extra, errors=errors)

    @api.exception_handler(DataError)
    def data_error(request, exc):
        # The database refused a value (a NUL byte, a number out of range, …): the caller's data is wrong.
        with translation.override(_lang(request)):
            return respond(request, 422, "invalid", _("The request is not valid."))

    @api.exception_handler(Exception)
    def server_error(request, exc):
        # A bug: logged with its traceback like any other 500, answered as JSON like any other error
        # (with DEBUG on, Django's debug page instead).
        if settings.DEBUG:
            raise exc
        logger.error("Internal Server Error: %s", request.path, exc_info=exc,
                     extra={"status_code": 500, "request": request})
        with translation.override(_lang(request)):
            return respond(request, 500, "server_error", _("Server error. It was logged; please try again later."))

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        with translation.override(_lang(request)):
            if exc.status_code == 400:  # django-ninja: the body is not JSON
                return respond(request, 400, "invalid", _("The request body cannot be read: send JSON."))
            code = {403: "forbidden", 404: "not_found", 405: "method_not_allowed", 429: "throttled"}
            return respond(request, exc.status_code, code.get(exc.status_code, "error"), str(exc))
