from django.urls import path

from . import evaluation_views, team_views, views

app_name = "party"

urlpatterns = [
    path("", views.home, name="home"),
    path("organizations/", views.tree_page, name="tree"),
    path("organizations/<int:pk>/", views.organization_page, name="organization"),
    path("organizations/<int:pk>/activities/new/", team_views.activity_new, name="activity_new"),
    path(
        "organizations/<int:pk>/outcomes/<slug:key>/",
        team_views.organization_outcomes,
        name="organization_outcomes",
    ),
    path("organizations/<int:pk>/<slug:action>/", views.organization_act, name="organization_act"),
    path("members/<int:pk>/", views.member_page, name="member"),
    path("members/<int:pk>/<slug:action>/", views.member_act, name="member_act"),
    path("teams/", team_views.team_list, name="teams"),
    path("teams/<int:pk>/", team_views.team_page, name="team"),
    path("teams/<int:pk>/outcomes/<slug:key>/", team_views.team_outcomes, name="team_outcomes"),
    path("teams/<int:pk>/<slug:action>/", team_views.team_act, name="team_act"),
    path("alliances/", team_views.alliance_list, name="alliances"),
    path("alliances/<int:pk>/", team_views.alliance_page, name="alliance"),
    path("alliances/<int:pk>/join/", team_views.alliance_join, name="alliance_join"),
    path("alliances/<int:pk>/outcomes/<slug:key>/", team_views.alliance_outcomes, name="alliance_outcomes"),
    path("activities/", team_views.activity_list, name="activities"),
    path("activities/<int:pk>/", team_views.activity_page, name="activity"),
    path("evaluations/", evaluation_views.scheme_list, name="schemes"),
    path("evaluations/<int:pk>/", evaluation_views.scheme_page, name="scheme"),
    path("evaluations/<int:pk>/<slug:action>/", evaluation_views.scheme_act, name="scheme_act"),
    path("evaluations/results/<int:pk>/", evaluation_views.evaluation_page, name="evaluation"),
    path(
        "evaluations/results/<int:pk>/<slug:action>/", evaluation_views.evaluation_act, name="evaluation_act"
    ),
    path("instructors/", team_views.instructor_list, name="instructors"),
    path("instructors/<int:pk>/", team_views.instructor_page, name="instructor"),
    path(
        "instructors/<int:pk>/outcomes/<slug:key>/",
        team_views.instructor_outcomes,
        name="instructor_outcomes",
    ),
]
