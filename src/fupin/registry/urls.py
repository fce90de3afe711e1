"""The registry's pages. Each group of pages keeps its own url module so that
separate pieces of work do not edit one file."""

from django.urls import include, path

app_name = "registry"

urlpatterns = [
    path("", include("fupin.registry.urls_records")),  # households, members, income, card, registers, search
    path("stats/", include("fupin.registry.urls_stats")),  # statistics page
    path("exchange/", include("fupin.registry.urls_exchange")),  # import / export / template
    path("quality/", include("fupin.registry.urls_quality")),  # data-quality runs, duplicates queue
    path("rechecks/", include("fupin.registry.urls_recheck")),  # yearly re-check rounds
]
