from django.urls import path

from . import views

app_name = "procedures"
urlpatterns = [
    path("", views.batch_list, name="list"),
    path("start/", views.start, name="start"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/act/", views.act, name="act"),
    path("batches/<int:pk>/objections/", views.objection_raise, name="objection_raise"),
    path("batches/<int:pk>/notice/<int:index>/", views.notice, name="notice"),
    path("batches/<int:pk>/documents/<int:doc_pk>/", views.document, name="document"),
    path("batches/<int:pk>/documents/<int:doc_pk>/regenerate/", views.document_regenerate,
         name="document_regenerate"),
    path("batches/<int:pk>/documents.zip", views.documents_zip, name="documents_zip"),
    path("batches/<int:pk>/documents/prepare/", views.documents_prepare, name="documents_prepare"),
    path("objections/<int:pk>/resolve/", views.objection_resolve, name="objection_resolve"),
    path("types/", views.type_list, name="types"),
    path("types/<str:code>/", views.type_detail, name="type"),
    path("types/<str:code>/copy/", views.type_copy, name="type_copy"),
]
