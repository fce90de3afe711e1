"""Households, members, income, the household card, village profiles and the registers."""

from django.urls import path

from .views import households, income, members, registers, villages

urlpatterns = [
    path("households/", households.household_list, name="households"),
    path("households/new/", households.household_create, name="household_create"),
    path("households/<int:pk>/", households.household_card, name="household"),
    path("households/<int:pk>/pdf/", households.household_pdf, name="household_pdf"),
    path("households/<int:pk>/edit/", households.household_edit, name="household_edit"),
    path("households/<int:pk>/status/", households.household_status, name="household_status"),
    path("households/<int:pk>/income/", income.household_income, name="household_income"),
    path("households/<int:pk>/members/new/", members.member_create, name="member_create"),
    path("members/<int:pk>/edit/", members.member_edit, name="member_edit"),
    path("members/<int:pk>/leave/", members.member_leave, name="member_leave"),
    path("villages/<str:code>/profile/", villages.village_profile, name="village_profile"),
    path("registers/", registers.registers, name="registers"),
    path("registers/<str:code>/", registers.register, name="register"),
    path("registers/<str:code>/xlsx/", registers.register_xlsx, name="register_xlsx"),
    path("registers/<str:code>/pdf/", registers.register_pdf, name="register_pdf"),
]
