from django.urls import path

from techalign.calendars import views

app_name = "calendars"

urlpatterns = [
    path("", views.my_calendars, name="mine"),
    path("company/", views.company_calendar, name="company"),
    path("sources/<int:source_id>/<str:action>/", views.source_action, name="source_action"),
    path("slots/<path:ref>/", views.slot_finder, name="slots"),
    path("feed/<int:user_id>/<str:token>.ics", views.meeting_feed, name="feed"),
]
