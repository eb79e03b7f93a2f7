"""The site's URLs plus one API path whose view fails with an error no code anticipates: the
stand-in for a bug, to see how an unexpected error is answered."""

from django.urls import path

from techalign.urls import urlpatterns as site


def broken(request):
    raise ZeroDivisionError("a bug, reached on purpose by the test")


urlpatterns = [path("api/v1/broken", broken), *site]
