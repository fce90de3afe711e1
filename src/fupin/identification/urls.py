from django.urls import path

from . import views

app_name = "identification"

urlpatterns = [
    path("", views.standards, name="standards"),
    path("lines/new/", views.line_create, name="line_create"),
    path("lines/<int:pk>/", views.line, name="line"),
    path("lines/<int:pk>/edit/", views.line_edit, name="line_edit"),
    path("lines/<int:pk>/delete/", views.line_delete, name="line_delete"),
    path("rules/", views.rules_home, name="rules"),
    path("rules/new/", views.ruleset_create, name="ruleset_create"),
    path("rules/<int:pk>/", views.ruleset, name="ruleset"),
    path("rules/<int:pk>/edit/", views.ruleset_edit, name="ruleset_edit"),
    path("rules/<int:pk>/criteria/new/", views.criterion_create, name="criterion_create"),
    path("rules/<int:pk>/criteria/<int:cpk>/", views.criterion_edit, name="criterion_edit"),
    path("rules/<int:pk>/criteria/<int:cpk>/toggle/", views.criterion_toggle, name="criterion_toggle"),
    path("runs/new/", views.run_start, name="run_start"),
    path("runs/simulate/", views.simulate, name="simulate"),
    path("runs/<int:pk>/", views.run, name="run"),
    path("runs/<int:pk>/outcomes/", views.outcomes, name="outcomes"),
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/facts/new/", views.fact_create, name="fact_create"),
    path("facts/", views.facts, name="facts"),
    path("facts/<int:pk>/decide/", views.fact_decide, name="fact_decide"),
]
