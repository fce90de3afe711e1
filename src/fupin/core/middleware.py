from django.db import DataError
from django.http import Http404
from django.shortcuts import render

from .errors import ActionError, Forbidden, Invalid, NotFound


class ActionErrorMiddleware:
    """Turns an ActionError escaping a view into a page: 404 for NotFound (never a
    hint that an object exists outside the user's area), 403 for Forbidden, and the
    message otherwise. The API has its own handlers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotFound):
            raise Http404 from exception
        if isinstance(exception, Forbidden):
            return render(request, "403.html", {"message": exception.message}, status=403)
        if isinstance(exception, ActionError):
            return render(request, "400.html", {"message": exception.message}, status=exception.status)
        if isinstance(exception, DataError):
            # The database refused a value the user sent (a NUL byte in a search, a number out
            # of range): their input is wrong, not the server.
            return render(request, "400.html", {"message": Invalid.default_message}, status=400)
        return None
