"""A bounded write load through the API, remembering every write the server acknowledged.

Askers raise questions (independent inserts); editors change plan items with `based_on`, so
concurrent editors conflict and must see 409, never a lost update. Every answer is counted; a
5xx, or a 503 without Retry-After, is a failure.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from techalign.plans.models import Item, Revision
from techalign.requirements.models import Question, Requirement
from tests.integrity.support import Reply, call


@dataclass
class Load:
    port: int
    requirement: str
    # Per thread, at most this many writes and never past the deadline.
    writes_per_thread: int = 20
    seconds: float = 15.0
    statuses: Counter = field(default_factory=Counter)
    questions: dict[str, str] = field(default_factory=dict)
    edits: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _request(self, method: str, path: str, token: str, body=None) -> Reply | None:
        try:
            reply = call(
                self.port,
                method,
                f"/api/v1/requirements/{self.requirement}{path}",
                token=token,
                body=body,
            )
        except (OSError, http.client.HTTPException) as error:
            # Expected only once the server is gone (refused, reset, or killed half-way through
            # its answer); the caller decides whether that is allowed.
            with self._lock:
                self.unanswered.append(f"{method} {path}: {error!r}")
            return None
        with self._lock:
            self.statuses[reply.status] += 1
            if reply.status >= 500 and not (
                reply.status == 503 and reply.headers.get("retry-after")
            ):
                self.failures.append(f"{method} {path} -> {reply.status}: {reply.body!r}"[:500])
        return reply

    def _running(self, deadline: float) -> bool:
        return not self.stop.is_set() and time.monotonic() < deadline

    def ask(self, name: str, token: str) -> None:
        """Raise questions one after another."""
        deadline = time.monotonic() + self.seconds
        for n in range(self.writes_per_thread):
            if not self._running(deadline):
                return
            text = f"{name} asks #{n}"
            reply = self._request("POST", "/questions", token, {"body": text})
            if reply is not None and reply.status == 201:
                with self._lock:
                    self.questions[reply.body["key"]] = text
            elif reply is None:
                return

    def edit(self, name: str, token: str, item: str) -> None:
        """Change one item's description, based on the revision just read; retry on 409."""
        deadline = time.monotonic() + self.seconds
        done = 0
        attempt = 0
        while done < self.writes_per_thread and self._running(deadline):
            attempt += 1
            plan = self._request("GET", "/plan", token)
            if plan is None:
                return
            if not plan.ok:
                continue
            marker = f"{name} edit {attempt}"
            reply = self._request(
                "PATCH",
                f"/plan/items/{item}",
                token,
                {"based_on": plan.body["revision"], "description": marker},
            )
            if reply is None:
                return
            if reply.ok:
                with self._lock:
                    self.edits.append(marker)
                done += 1

    def run(self, workers: list[tuple]) -> None:
        """Run each (method, *args) in a thread of its own and wait for all of them."""
        threads = [threading.Thread(target=method, args=args) for method, *args in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=self.seconds + 60)
        assert not any(t.is_alive() for t in threads), "a load thread hung"

    def start_mixed(self, token: dict[str, str]) -> threading.Thread:
        """In the background: ming and hua ask questions, lei and fang edit items I-1 and I-2
        (tokens by persona name)."""
        driver = threading.Thread(
            target=self.run,
            args=(
                [
                    (self.ask, "ming", token["ming"]),
                    (self.ask, "hua", token["hua"]),
                    (self.edit, "lei", token["lei"], "I-1"),
                    (self.edit, "fang", token["fang"], "I-2"),
                ],
            ),
        )
        driver.start()
        return driver

    @property
    def acknowledged(self) -> int:
        return len(self.questions) + len(self.edits)


def lost_questions(requirement: Requirement, acknowledged: dict[str, str]) -> list[str]:
    """Acknowledged questions that are not in the database as acknowledged."""
    stored = {q.key: q.body for q in Question.objects.filter(requirement=requirement)}
    return [key for key, body in acknowledged.items() if stored.get(key) != body]


def revision_history(requirement: Requirement) -> list[Revision]:
    return list(Revision.objects.filter(plan__requirement=requirement).order_by("number"))


def introduced_descriptions(requirement: Requirement) -> Counter:
    """How many revisions introduced each item description (new relative to the revision before)."""
    introduced: Counter = Counter()
    before: set[tuple[int, str]] = set()
    for revision in revision_history(requirement):
        now = set(Item.objects.filter(revision=revision).values_list("number", "description"))
        introduced.update(description for _number, description in now - before)
        before = now
    return introduced


def lost_or_doubled_edits(requirement: Requirement, acknowledged: list[str]) -> dict[str, int]:
    """Acknowledged edits not introduced by exactly one revision: marker -> how many."""
    introduced = introduced_descriptions(requirement)
    return {m: introduced[m] for m in acknowledged if introduced[m] != 1}


def revision_numbers_are_contiguous(requirement: Requirement) -> bool:
    numbers = [r.number for r in revision_history(requirement)]
    return numbers == list(range(1, len(numbers) + 1))
