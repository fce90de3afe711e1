from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("pii/<str:label>/<int:pk>/<str:field>/", views.reveal, name="reveal"),
]
