"""The WSGI application, as each `techalign serve` worker loads it."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "techalign.settings")
application = get_wsgi_application()

# What the worker loads once (settings, apps, every view module behind the URLs) lives as long
# as the process: freeze it out of the garbage collector's full passes, and collect the young
# generation less often. A page that builds a few thousand objects otherwise set off a full
# pass every ten requests or so, 100-150 ms each on a large plan's page (its p95).
get_resolver().url_patterns  # noqa: B018 - imports every view module now
gc.freeze()
gc.set_threshold(5000, 10, 10)
