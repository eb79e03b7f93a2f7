"""Answers kept for every reader of the same version: the serialised body of a requirement, its
plan or its milestones, keyed by what the answer is of and its ETag.

The ETag already promises that an unchanged tag means an unchanged body (the 304s rely on it),
and these bodies do not depend on who reads them once the reader may see the requirement, only
on the language and time zone they are written in. So the second reader of an unchanged plan
in a meeting room gets the first reader's bytes after the access check, instead of the thirty
queries that built them. A changed requirement has a new tag: nothing is ever invalidated, old
entries simply stop being asked for and age out.

Kept in each worker process, least recently used first out, within a byte budget
(TECHALIGN_KEPT_ANSWERS_MB, 0 to turn it off); an answer larger than a sixteenth of the budget
is never kept, so one huge plan cannot empty it. /metrics counts hits and misses
(`techalign_kept_answers_total`), for sizing the budget.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from django.conf import settings
from prometheus_client import Counter

ASKED = Counter(
    "techalign_kept_answers",
    "API answers looked up among the kept ones: hit (the kept bytes served) or miss (built).",
    ["outcome"],
)
# Bound once, so both show from the start (at 0) and a lookup does not find its label again.
_HIT, _MISS = ASKED.labels("hit"), ASKED.labels("miss")


class KeptAnswers:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.largest = budget // 16
        self.size = 0
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        # gthread workers share the process: the order and the size change together.
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            content = self._entries.get(key)
            if content is not None:
                self._entries.move_to_end(key)
        (_MISS if content is None else _HIT).inc()
        return content

    def put(self, key: Hashable, content: bytes) -> None:
        if not self.budget or len(content) > self.largest:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = content
            self.size += len(content)
            while self.size > self.budget:
                _, evicted = self._entries.popitem(last=False)
                self.size -= len(evicted)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._entries)


kept_answers = KeptAnswers(settings.TECHALIGN_KEPT_ANSWERS_MB * 1024 * 1024)
