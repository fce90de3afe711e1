from django.urls import path

from . import views_exchange as views

urlpatterns = [
    path("", views.exchange, name="exchange"),
    path("template.xlsx", views.exchange_template, name="exchange_template"),
    path("import/", views.exchange_import, name="exchange_import"),
    path("export/", views.exchange_export, name="exchange_export"),
    path("income/template.xlsx", views.exchange_income_template, name="exchange_income_template"),
    path("income/import/", views.exchange_income_import, name="exchange_income_import"),
    path("income/export/", views.exchange_income_export, name="exchange_income_export"),
]
