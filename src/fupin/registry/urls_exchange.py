from django.urls import path

from . import views_exchange as views

urlpatterns = [
    path("", views.exchange, name="exchange"),
    path("template.xlsx", views.exchange_template, name="exchange_template"),
    path("import/", views.exchange_import, name="exchange_import"),
    path("export/", views.exchange_export, name="exchange_export"),
]
