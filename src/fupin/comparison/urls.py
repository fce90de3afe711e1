from django.urls import path

from . import views

app_name = "comparison"
urlpatterns = [
    path("", views.home, name="home"),
    path("import/", views.import_page, name="import"),
    path("template/<str:kind>.xlsx", views.template, name="template"),
    path("datasets/<int:pk>/", views.dataset, name="dataset"),
    path("datasets/<int:pk>/match/", views.match, name="match"),
    path("hits/", views.hits, name="hits"),
    path("hits/<int:pk>/", views.hit, name="hit"),
    path("hits/<int:pk>/decide/", views.decide, name="decide"),
    path("hits/<int:pk>/review/", views.review, name="review"),
    path("hits/<int:pk>/archive/", views.archive, name="archive"),
    path("archive/", views.archive_area, name="archive_area"),
    path("forms/", views.forms_page, name="forms"),
    path("forms/<str:form>.xlsx", views.form_export, name="form_export"),
    path("linkage/", views.linkage, name="linkage"),
    path("linkage/<int:pk>/export/", views.linkage_export, name="linkage_export"),
    path("cutoffs/", views.cutoffs, name="cutoffs"),
    path("cutoffs/<int:pk>/", views.cutoff_edit, name="cutoff_edit"),
    path("cutoffs/<int:pk>/delete/", views.cutoff_delete, name="cutoff_delete"),
]
