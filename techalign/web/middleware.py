"""Dates and times on pages in the signed-in user's own time zone."""

import contextlib
import zoneinfo

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone

from techalign.core.middleware import GetResponse


class UserTimeZoneMiddleware:
    """Activate `User.time_zone` for the request; anonymous visitors get the site's zone."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        zone = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        timezone.deactivate()
        # A zone name the system no longer knows falls back to the site's zone rather than
        # taking every page of that user down.
        with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
            if zone:
                timezone.activate(zoneinfo.ZoneInfo(zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
