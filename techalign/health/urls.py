from django.urls import path

from techalign.health import views

app_name = "health"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("teams/<slug:code>/", views.team_health, name="team"),
    path("departments/<slug:code>/", views.department_health, name="department"),
    path("requirements/<str:key>/", views.requirement_health, name="requirement"),
    path("requirements/<str:key>/panel/", views.requirement_panel, name="requirement_panel"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/<str:code>/", views.rule_page, name="rule"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<slug:slug>/", views.report_page, name="report"),
]
