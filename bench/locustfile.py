"""Locust users for `make bench` throughput runs against 127.0.0.1 (see bench/runner.py).

`Mixed` is a PM working through the API on their team's requirements: mostly reads, one request
in five a write (raise a question, have another PM of the team answer it, set a milestone). Each
simulated user is a different PM of a different team, so writes never contend for one
requirement. `Writes` is the
same PM doing only the writes (issue 16: the audit chain is then the only thing they share).
`Floor` asks for the trivial view only. All loop without think time (a closed loop: throughput,
not pacing).

Environment: BENCH_PERSONAS (JSON file written by the runner), BENCH_MAX_REQUESTS (the run
stops after that many requests even before --run-time), BENCH_KEEP_ANSWERS=1 (`Mixed` keeps the
last answer of each requirement and plan it read and sends its ETag in If-None-Match, as a client
with a cache does; a 304 counts as a success; off by default, so the figures stay comparable
with those measured before 304s existed).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path

import gevent
from locust import FastHttpUser, constant, events, task

PERSONAS = json.loads(Path(os.environ.get("BENCH_PERSONAS", "/dev/null")).read_text() or "[]")
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", "100000"))
KEEP_ANSWERS = os.environ.get("BENCH_KEEP_ANSWERS", "") == "1"
_next_persona = itertools.count()
_sent = itertools.count(1)


_environment = None


@events.init.add_listener
def _remember(environment, **_kwargs) -> None:
    global _environment
    _environment = environment


@events.request.add_listener
def _bounded(**_kwargs) -> None:
    """Stop the whole run once the request budget is spent."""
    if next(_sent) == MAX_REQUESTS and _environment is not None and _environment.runner:
        gevent.spawn(_environment.runner.quit)


class Mixed(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        persona = PERSONAS[next(_next_persona) % len(PERSONAS)]
        self.rng = random.Random(persona["username"])
        self.headers = {"Authorization": f"Bearer {persona['token']}"}
        self.answerer = {"Authorization": f"Bearer {persona['answerer_token']}"}
        self.team = persona["team"]
        self.readable = persona["readable"]
        self.writable = persona["writable"]
        self.finalized = persona["finalized"]
        self.asked: list[tuple[str, str]] = []
        self.kept: dict[str, str] = {}  # path -> ETag of the answer kept

    def _get(self, path: str, name: str) -> None:
        self.client.get(path, headers=self.headers, name=name)

    def _revalidate(self, path: str, name: str) -> None:
        """Read `path`; with BENCH_KEEP_ANSWERS, as a client that kept its last answer."""
        if not KEEP_ANSWERS:
            return self._get(path, name)
        kept = self.kept.get(path)
        headers = {**self.headers, "If-None-Match": kept} if kept else self.headers
        response = self.client.get(path, headers=headers, name=name)
        if response.headers.get("ETag"):
            self.kept[path] = response.headers["ETag"]

    @task(30)
    def requirement(self) -> None:
        key = self.rng.choice(self.readable)
        self._revalidate(f"/api/v1/requirements/{key}", "GET requirement")

    @task(15)
    def requirement_list(self) -> None:
        page = self.rng.randint(0, 20) * 50
        self._get(f"/api/v1/requirements?offset={page}", "GET requirements")

    @task(20)
    def plan(self) -> None:
        key = self.rng.choice(self.readable)
        self._revalidate(f"/api/v1/requirements/{key}/plan", "GET plan")

    @task(15)
    def questions(self) -> None:
        key = self.rng.choice(self.readable)
        self._get(f"/api/v1/requirements/{key}/questions", "GET questions")

    @task(10)
    def raise_question(self) -> None:
        key = self.rng.choice(self.writable)
        with self.client.post(
            f"/api/v1/requirements/{key}/questions",
            headers=self.headers,
            json={"body": "接口超时如何处理？"},
            name="POST question",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                self.asked.append((key, response.json()["key"]))
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")

    @task(5)
    def answer_question(self) -> None:
        if not self.asked:
            return
        key, question = self.asked.pop()
        # The rules forbid the asker to propose the answer: a teammate does, as in real use.
        self.client.post(
            f"/api/v1/requirements/{key}/questions/{question}/answer",
            headers=self.answerer,
            json={"answer": "按重试策略处理。"},
            name="POST answer",
        )

    @task(5)
    def set_milestone(self) -> None:
        """Read the milestones, then set one with their ETag. With more users than teams two
        share a PM and its requirements: a 412 means the other wrote first, and the user reads
        again and retries, as a person does (the refusal is the service doing its job)."""
        key = self.rng.choice(self.finalized)
        due = f"2027-0{self.rng.randint(1, 9)}-1{self.rng.randint(0, 9)}"
        for attempt in range(3):
            read = self.client.get(
                f"/api/v1/requirements/{key}/milestones",
                headers=self.headers,
                name="GET milestones",
            )
            with self.client.put(
                f"/api/v1/requirements/{key}/milestones",
                headers={**self.headers, "If-Match": read.headers.get("ETag", "")},
                json={"team": self.team, "kind": "test", "due_on": due},
                name="PUT milestone",
                catch_response=True,
            ) as response:
                if response.status_code == 412 and attempt < 2:
                    response.success()
                    continue
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")
                return


class Writes(FastHttpUser):
    """Audited writes only, each on the PM's own team's requirements: raise a question, reply
    in its thread (the asker may not propose its answer), set a milestone. The milestone's
    If-Match comes from one read per requirement, then from counting this user's own writes."""

    wait_time = constant(0)

    def on_start(self) -> None:
        Mixed.on_start(self)
        self.etags: dict[str, int] = {}

    @task(2)
    def raise_question(self) -> None:
        Mixed.raise_question(self)

    @task(1)
    def reply(self) -> None:
        if not self.asked:
            return self.raise_question()
        key, question = self.asked.pop()
        self.client.post(
            f"/api/v1/requirements/{key}/questions/{question}/replies",
            headers=self.headers,
            json={"body": "按重试策略处理。"},
            name="POST reply",
        )

    @task(1)
    def set_milestone(self) -> None:
        key = self.rng.choice(self.finalized)
        if key not in self.etags:
            read = self.client.get(
                f"/api/v1/requirements/{key}/milestones",
                headers=self.headers,
                name="GET milestones",
            )
            self.etags[key] = int(read.headers.get("ETag", '"v0"').strip('"v'))
        due = f"2027-0{self.rng.randint(1, 9)}-1{self.rng.randint(0, 9)}"
        with self.client.put(
            f"/api/v1/requirements/{key}/milestones",
            headers={**self.headers, "If-Match": f'"v{self.etags[key]}"'},
            json={"team": self.team, "kind": "test", "due_on": due},
            name="PUT milestone",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                self.etags[key] += 1
                response.success()
            elif response.status_code == 412:
                # With more users than teams, two share a PM and its requirements: the refusal
                # is the service doing its job; read the version again next time.
                self.etags.pop(key, None)
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")


class Floor(FastHttpUser):
    wait_time = constant(0)

    @task
    def floor(self) -> None:
        self.client.get("/bench/floor", name="GET floor")
