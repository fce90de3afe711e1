from django.urls import path

from . import views

app_name = "exits"
urlpatterns = [
    path("", views.check, name="check"),
    path("start/", views.start, name="start"),
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/return/", views.return_start, name="return_start"),
    path("observation/", views.observation, name="observation"),
    path("observation/close/", views.close, name="close_observation"),
    path("returns/", views.returns, name="returns"),
    path("criteria/", views.criteria, name="criteria"),
    path("criteria/new/", views.criteria_create, name="criteria_create"),
    path("criteria/<int:pk>/", views.criteria_edit, name="criteria_edit"),
    path("periods/new/", views.period_create, name="period_create"),
    path("periods/<int:pk>/", views.period_edit, name="period_edit"),
]
