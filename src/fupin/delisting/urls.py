"""The delisting pages (贫困村出列, 贫困县摘帽)."""

from django.urls import path

from . import views

app_name = "delisting"
urlpatterns = [
    path("", views.villages, name="villages"),
    path("villages.xlsx", views.villages_export, name="villages_export"),
    path("villages/<str:code>/", views.village, name="village"),
    path("villages/<str:code>/assess/", views.village_assess, name="village_assess"),
    path("assessments/<int:pk>/", views.assessment_act, name="assessment_act"),
    path("criteria/", views.criteria, name="criteria"),
    path("criteria/<str:kind>/<int:pk>/", views.criteria_edit, name="criteria_edit"),
    path("rounds/", views.rounds, name="rounds"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/export.xlsx", views.round_export, name="round_export"),
    path("rounds/<int:pk>/import/", views.survey_import, name="survey_import"),
    path("rounds/<int:pk>/step/", views.round_step, name="round_step"),
    path("rounds/<int:pk>/survey/<int:sample_pk>/", views.survey, name="survey"),
]
