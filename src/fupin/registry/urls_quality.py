"""Data-quality checks and the possible-duplicates review queue (mounted at /registry/quality/)."""

from django.urls import path

from . import views_quality as views

urlpatterns = [
    path("", views.quality_home, name="quality"),
    path("runs/<int:pk>/", views.run_detail, name="quality_run"),
    path("runs/<int:pk>/rules/<str:code>/", views.run_rule, name="quality_rule"),
    path("runs/<int:pk>/export.xlsx", views.run_export, name="quality_export"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/find/", views.duplicates_find, name="duplicates_find"),
    path("duplicates/<int:pk>/decide/", views.duplicate_decide, name="duplicate_decide"),
]
