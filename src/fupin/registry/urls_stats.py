"""The statistics page (mounted at /registry/stats/)."""

from django.urls import path

from . import views_stats as views

urlpatterns = [
    path("", views.stats_page, name="stats"),
    path("refresh/", views.stats_refresh, name="stats_refresh"),
]
