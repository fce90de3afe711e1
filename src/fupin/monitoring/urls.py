from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("", views.index, name="index"),
    path("export.xlsx", views.export, name="export"),
    path("new/", views.new, name="new"),
    path("records/<int:pk>/", views.record, name="record"),
    path("records/<int:pk>/act/", views.record_action, name="record_action"),
    path("worklist/", views.worklist, name="worklist"),
    path("worklist/run/", views.run, name="run"),
    path("worklist/<int:pk>/", views.hit_action, name="hit_action"),
    path("applications/", views.applications, name="applications"),
    path("applications/new/", views.application_new, name="application_new"),
    path("applications/<int:pk>/", views.application, name="application"),
    path("warnings/", views.warnings, name="warnings"),
    path("warnings/template.xlsx", views.warnings_template, name="warnings_template"),
    path("apply/", views.apply, name="apply"),
]
