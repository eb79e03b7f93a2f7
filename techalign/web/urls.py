from django.urls import path

from techalign.web.views import (
    baselines,
    comments,  # noqa: F401 (registers the comment sections and actions)
    common,
    home,
    invitations,
    manage,
    meetings,
    plans,
    requirements,
)

app_name = "web"

urlpatterns = [
    path("", home.inbox, name="inbox"),
    path("work/<slug:slug>/", home.inbox_section, name="inbox_section"),
    path("my-work/count", home.work_count, name="work_count"),
    path("requirements/", requirements.requirement_list, name="requirements"),
    path("requirements/new", requirements.requirement_create, name="requirement_create"),
    path("r/<str:key>/", requirements.requirement_page, name="requirement"),
    path("r/<str:key>/plan/", plans.plan_page, name="plan"),
    path("r/<str:key>/history/", plans.history_page, name="history"),
    path("r/<str:key>/align/", meetings.align_page, name="align"),
    path("r/<str:key>/baseline/", baselines.baseline_page, name="baseline"),
    path("r/<str:key>/activity/", baselines.activity_page, name="activity"),
    path("r/<str:key>/meetings/<str:meeting_key>/", meetings.meeting_page, name="meeting"),
    path(
        "r/<str:key>/meetings/<str:meeting_key>/minutes/",
        meetings.minutes_record,
        name="minutes_record",
    ),
    path(
        "r/<str:key>/meetings/<str:meeting_key>/answer/<str:answer>/<str:token>/",
        invitations.invitation_answer,
        name="invitation_answer",
    ),
    path("r/<str:key>/do/<str:name>/", common.perform, name="do"),
    path("r/<str:key>/do/<str:name>/<str:ref>/", common.perform, name="do_on"),
    path(
        "r/<str:key>/meetings/<str:meeting_key>/do/<str:name>/", common.perform, name="meeting_do"
    ),
    path(
        "r/<str:key>/meetings/<str:meeting_key>/do/<str:name>/<str:ref>/",
        common.perform,
        name="meeting_do_on",
    ),
    path("markdown/preview", plans.markdown_preview, name="markdown_preview"),
    path("catalog/options", plans.component_options, name="component_options"),
    path("teams/<slug:code>/", home.team_page, name="team"),
    path("departments/<slug:code>/", home.department_page, name="department"),
    path("org/", home.org_page, name="org"),
    path("catalog/", home.catalog, name="catalog"),
    path("language", home.switch_language, name="language"),
    path("preferences/", home.preferences, name="preferences"),
    path("manage/", manage.manage_home, name="manage"),
    path("manage/teams/<slug:code>/", manage.manage_team, name="manage_team"),
    path("manage/people/", manage.manage_people, name="manage_people"),
    path("manage/people/<str:username>/", manage.manage_person, name="manage_person"),
    path("manage/components/", manage.manage_components, name="manage_components"),
]
