from django.contrib import admin
from django.urls import include, path

from techalign.api.main import api
from techalign.core.metrics import metrics
from techalign.core.views import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("calendars/", include("techalign.calendars.urls")),
    path("notifications/", include("techalign.notify.urls")),
    path("health/", include("techalign.health.urls")),
    path("", include("techalign.web.urls")),
]
