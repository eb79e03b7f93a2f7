"""The production settings plus one trivial view, served by the same gunicorn set-up.

The trivial view is the framework floor: the same middleware, server and workers as every page
and endpoint, with no database work. Throughput is reported as a share of it.
"""

from techalign.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
