"""Dates and times on pages in the signed-in user's own time zone."""

import zoneinfo

from django.utils import timezone


class UserTimeZoneMiddleware:
    """Activate `User.time_zone` for the request; anonymous visitors get the site's zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone)) if zone else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            # A zone name the system no longer knows must not take the whole site down.
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
