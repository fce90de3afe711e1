"""The assistance pages (帮扶)."""

from django.urls import path

from .views import exchange, people, posts, work

app_name = "assistance"

urlpatterns = [
    # who helps
    path("helpers/", people.helpers, name="helpers"),
    path("helpers/new/", people.helper_create, name="helper_create"),
    path("helpers/<int:pk>/", people.helper_detail, name="helper"),
    path("helpers/<int:pk>/edit/", people.helper_edit, name="helper_edit"),
    path("households/<int:pk>/pair/", people.pair, name="pair"),
    path("pairings/<int:pk>/end/", people.pairing_end, name="pairing_end"),
    path("links/", people.links, name="links"),
    path("links/<int:pk>/end/", people.link_end, name="link_end"),
    path("teams/", people.teams, name="teams"),
    path("teams/new/", people.team_create, name="team_create"),
    path("teams/<int:pk>/", people.team_detail, name="team"),
    path("teams/<int:pk>/members/", people.team_member_add, name="team_member_add"),
    path("teams/<int:pk>/attendance/", people.team_attendance, name="team_attendance"),
    path("teams/<int:pk>/end/", people.team_end, name="team_end"),
    path("team-members/<int:pk>/end/", people.team_member_end, name="team_member_end"),
    # what is done
    path("plans/", work.plans, name="plans"),
    path("households/<int:pk>/plan/<int:year>/", work.household_plan, name="household_plan"),
    path("households/<int:pk>/plan/<int:year>/carry/", work.plan_carry, name="plan_carry"),
    path("villages/<str:code>/plan/<int:year>/", work.village_plan, name="village_plan"),
    path("measures/", work.measures, name="measures"),
    path("measures/new/", work.measure_create, name="measure_create"),
    path("measures/<int:pk>/", work.measure_detail, name="measure"),
    path("measures/<int:pk>/carry/", work.measure_carry, name="measure_carry"),
    path("measures/<int:pk>/correct/", work.measure_correct, name="measure_correct"),
    path("measures/<int:pk>/withdraw/", work.measure_withdraw, name="measure_withdraw"),
    path("visits/", work.visits, name="visits"),
    path("visits/new/", work.visit_log, name="visit_log"),
    path("visits/<int:pk>/", work.visit_detail, name="visit"),
    path("visits/<int:pk>/correct/", work.visit_correct, name="visit_correct"),
    path("visits/<int:pk>/withdraw/", work.visit_withdraw, name="visit_withdraw"),
    path("photos/<int:pk>/", work.photo, name="photo"),
    path("mine/", work.my_households, name="mine"),
    path("six-clear/", work.six_clear, name="six_clear"),
    path("coverage/", work.coverage, name="coverage"),
    # posts
    path("posts/", posts.posts, name="posts"),
    path("posts/new/", posts.post_create, name="post_create"),
    path("posts/payments/", posts.payments, name="payments"),
    path("posts/<int:pk>/", posts.post_detail, name="post"),
    path("posts/<int:pk>/agreements/", posts.agreement_create, name="agreement_create"),
    path("agreements/<int:pk>/", posts.agreement_detail, name="agreement"),
    path("agreements/<int:pk>/inspections/", posts.inspection_add, name="inspection_add"),
    path("agreements/<int:pk>/decide/", posts.agreement_decide, name="agreement_decide"),
    # exchange
    path("exchange/", exchange.exchange, name="exchange"),
    path("exchange/<str:kind>/template/", exchange.exchange_template, name="exchange_template"),
    path("exchange/<str:kind>/export/", exchange.exchange_export, name="exchange_export"),
]
