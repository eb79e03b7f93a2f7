"""Prometheus metrics at /metrics.

Per process: request latency by route (the URL pattern, never the raw path), sign-in
failures, and the kept answers' hits and misses (counted in techalign/core/answers.py).
Under `techalign serve` each gunicorn worker writes them to PROMETHEUS_MULTIPROC_DIR and a
scrape adds them up. From the database at scrape time, so every node reports the same:
the task queue (depth, oldest age) and the deliveries that failed.

Only addresses in TECHALIGN_METRICS_ALLOW, or requests with `Authorization: Bearer
<TECHALIGN_METRICS_TOKEN>`, may read it; anyone else gets 404.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Min
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import CollectorRegistry, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from techalign.core.middleware import _address, _trusted_networks, client_address
from techalign.notify.models import Delivery

REQUEST_LATENCY = Histogram(
    "techalign_request_duration_seconds",
    "Time to answer a request, by URL route, method and status class.",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SIGNIN_FAILURES = Counter("techalign_signin_failures", "Failed sign-ins (wrong password, lockout).")


@receiver(user_login_failed)
def _count_signin_failure(sender: Any, **kwargs: Any) -> None:
    SIGNIN_FAILURES.inc()


class MetricsMiddleware:
    """Times every request under its route: `api/v1/requirements/<key>`, never the key itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        REQUEST_LATENCY.labels(
            route=getattr(match, "route", None) or "unmatched",
            method=request.method if request.method in KNOWN_METHODS else "other",
            status=f"{response.status_code // 100}xx",
        ).observe(time.perf_counter() - started)
        return response


KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class DatabaseCollector:
    """The shared state every node sees alike, read when Prometheus scrapes."""

    def collect(self) -> Iterator[Metric]:
        ready = DBTaskResult.objects.ready()
        oldest = ready.aggregate(oldest=Min("enqueued_at"))["oldest"]
        depth = GaugeMetricFamily(
            "techalign_task_queue_depth", "Background tasks ready to run and not yet claimed."
        )
        depth.add_metric([], ready.count())
        yield depth
        age = GaugeMetricFamily(
            "techalign_task_queue_oldest_age_seconds",
            "How long the oldest ready task has waited (0 when the queue is empty).",
        )
        age.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
        yield age
        running = GaugeMetricFamily("techalign_tasks_running", "Background tasks being run now.")
        running.add_metric([], DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count())
        yield running
        failed = GaugeMetricFamily(
            "techalign_deliveries_failed",
            "Emails and chat messages given up on after their last attempt.",
        )
        failed.add_metric([], Delivery.objects.filter(status=Delivery.Status.FAILED).count())
        yield failed
        retrying = GaugeMetricFamily(
            "techalign_deliveries_retrying",
            "Emails and chat messages whose last attempt failed and that will be retried.",
        )
        retrying.add_metric(
            [],
            Delivery.objects.filter(status=Delivery.Status.PENDING, attempts__gt=0).count(),
        )
        yield retrying


def _allowed(request: HttpRequest) -> bool:
    token = settings.TECHALIGN_METRICS_TOKEN
    offered = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    networks = _trusted_networks(tuple(settings.TECHALIGN_METRICS_ALLOW))
    address = _address(client_address(request))
    return address is not None and any(address in network for network in networks)


def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        # Not even a hint that something is here.
        raise Http404
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
    else:
        processes = REGISTRY
    shared = CollectorRegistry()
    shared.register(DatabaseCollector())
    body = generate_latest(processes) + generate_latest(shared)
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
