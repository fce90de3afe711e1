from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("me/", views.profile, name="profile"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/import/", views.users_import, name="users_import"),
    path("users/template.xlsx", views.users_template, name="users_template"),
    path("users/<int:pk>/", views.user_detail, name="user"),
    path("users/<int:pk>/roles/", views.user_role_add, name="user_role_add"),
    path("users/<int:pk>/roles/<int:role_pk>/remove/", views.user_role_remove, name="user_role_remove"),
    path("users/<int:pk>/password/", views.user_password, name="user_password"),
    path("users/<int:pk>/active/", views.user_active, name="user_active"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/<int:pk>/tokens/", views.user_token, name="user_token"),
    path("tokens/<int:token_pk>/revoke/", views.token_revoke, name="token_revoke"),
]
