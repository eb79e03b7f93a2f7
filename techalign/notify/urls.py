from django.urls import path

from techalign.notify import views

app_name = "notify"

urlpatterns = [
    path("", views.notifications, name="inbox"),
    path("deliveries/", views.deliveries, name="deliveries"),
]
