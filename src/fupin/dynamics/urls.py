"""动态管理 pages (mounted at /dynamics/)."""

from django.urls import path

from . import views

app_name = "dynamics"
urlpatterns = [
    path("", views.index, name="index"),
    path("export/", views.export, name="export"),
    path("observation/", views.observation, name="observation"),
    path("observation/export/", views.observation_export, name="observation_export"),
    path("at-risk/", views.at_risk, name="at_risk"),
    path("at-risk/export/", views.at_risk_export, name="at_risk_export"),
]
