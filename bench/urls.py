"""techalign's URLs and the framework-floor view (see bench/settings.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from techalign.urls import urlpatterns as techalign_urls


def floor(request: HttpRequest) -> HttpResponse:
    """The cheapest response the stack can give: no database, no template."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/floor", floor, name="bench_floor"), *techalign_urls]
