from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from fupin.api.urls import api
from fupin.core.views import healthz


def _api_urls():
    """The API answers anonymous callers itself (401 as JSON), so the login redirect
    of LoginRequiredMiddleware is switched off for its views."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        login_not_required(pattern.callback)
    return patterns, app_name, namespace


urlpatterns = [
    path("", include("fupin.core.urls")),
    path("accounts/", include("fupin.accounts.urls")),
    path("areas/", include("fupin.areas.urls")),
    path("registry/", include("fupin.registry.urls")),
    path("identification/", include("fupin.identification.urls")),
    path("procedures/", include("fupin.procedures.urls")),
    path("comparison/", include("fupin.comparison.urls")),
    path("assistance/", include("fupin.assistance.urls")),
    path("exits/", include("fupin.exits.urls")),
    path("delisting/", include("fupin.delisting.urls")),
    path("monitoring/", include("fupin.monitoring.urls")),
    path("dynamics/", include("fupin.dynamics.urls")),
    path("audit/", include("fupin.audit.urls")),
    path("jobs/", include("fupin.jobs.urls")),
    path("api/v1/", _api_urls()),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("i18n/js/", login_not_required(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("healthz", healthz, name="healthz"),
]
