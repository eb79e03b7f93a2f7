"""URLs for the calendar and notification API tests: the main API once it exposes these
routers, until then a test API with the same authentication and error envelope."""

from django.urls import path
from ninja import NinjaAPI

from techalign.api import calendars, notify
from techalign.api.common import AUTH
from techalign.api.main import api, refused
from techalign.core.errors import Refused

if getattr(calendars.router, "api", None) is None:
    api = NinjaAPI(auth=AUTH, urls_namespace="calendars-test")
    api.add_exception_handler(Refused, refused)
    api.add_router("/calendars", calendars.router)
    api.add_router("/", notify.router)

urlpatterns = [path("api/v1/", api.urls)]
