"""一年一核, the yearly re-check rounds (mounted at /registry/rechecks/)."""

from django.urls import path

from . import views_recheck as views

urlpatterns = [
    path("", views.rechecks, name="rechecks"),
    path("open/", views.recheck_open, name="recheck_open"),
    path("<int:pk>/", views.recheck, name="recheck"),
    path("<int:pk>/records/<int:record_pk>/", views.recheck_record, name="recheck_record"),
    path("<int:pk>/close/", views.recheck_close, name="recheck_close"),
]
