from django.contrib import admin
from django.urls import include, path

from techalign.api.main import api
from techalign.core.metrics import metrics
from techalign.core.views import healthz, no_icon, readyz
from techalign.sso.views import SignInView

urlpatterns = [
    path("favicon.ico", no_icon),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    # The company's OpenID provider: /oidc/authenticate/ and /oidc/callback/ (404 when off).
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("calendars/", include("techalign.calendars.urls")),
    path("notifications/", include("techalign.notify.urls")),
    path("health/", include("techalign.health.urls")),
    path("", include("techalign.web.urls")),
]
