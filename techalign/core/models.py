"""Request counters of the throttles: one row per key (rule, user or address) and window."""

from django.db import models


class ThrottleCount(models.Model):
    # A table rather than Django's database cache: the cache's incr() is a read then a write, so
    # gunicorn workers racing on one key lose counts; one upsert here counts every request, on
    # SQLite and PostgreSQL alike, and needs no `createcachetable` step.
    bucket = models.CharField(max_length=200)
    window_start = models.BigIntegerField()  # epoch seconds
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bucket", "window_start"], name="throttle_one_row")
        ]

    def __str__(self) -> str:
        return f"{self.bucket}@{self.window_start}: {self.hits}"
