"""The REST API's shared parts: token auth, errors as JSON with a stable code and a
message in Chinese (or the language asked for), pagination, the acting Actor."""

from __future__ import annotations

from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from fupin.accounts.actions import token_user
from fupin.core.actor import Actor
from fupin.core.errors import ActionError


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


class Page(Schema):
    count: int
    page: int
    page_size: int


def paginate(qs, page: int, page_size: int):
    page = max(page, 1)
    page_size = min(max(page_size, 1), 500)
    start = (page - 1) * page_size
    return {"count": qs.count(), "page": page, "page_size": page_size, "items": list(qs[start:start + page_size])}


def install_error_handlers(api) -> None:
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
        with translation.override(_lang(request)):
            return respond(request, 422, "invalid", _("The request is not valid."), errors=exc.errors)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        with translation.override(_lang(request)):
            return respond(request, exc.status_code, "error", str(exc))
