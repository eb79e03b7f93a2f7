from django.contrib import admin
from django.urls import path

from techalign.api.main import api
from techalign.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
