"""The mixed load acts as real users do: what one PM asks, another PM of the same team answers,
so the mix meets no refusal the rules give on purpose (issue 16: its only errors were a PM
proposing the answer to their own question)."""

from __future__ import annotations

import pytest
from django.test import Client

from bench.generator import seed
from bench.runner import Run, cast

pytestmark = pytest.mark.django_db

TINY = 0.001


def _api(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_every_persona_has_a_teammate_who_may_answer_its_questions():
    seed(TINY, 1, stream=None)
    personas = cast(Run(TINY, 1, "test")).personas
    assert personas
    for persona in personas:
        assert persona["answerer"] != persona["username"]
        key = persona["writable"][0]
        asked = _api(persona["token"]).post(
            f"/api/v1/requirements/{key}/questions",
            {"body": "接口超时如何处理？"},
            content_type="application/json",
        )
        assert asked.status_code == 201, asked.json()
        question = asked.json()["key"]
        path = f"/api/v1/requirements/{key}/questions/{question}/answer"
        body = {"answer": "按重试策略处理。"}

        # What the mix did before: the asker proposing the answer, which the rules refuse.
        own = _api(persona["token"]).post(path, body, content_type="application/json")
        assert own.status_code == 403
        assert own.json()["code"] == "question.asker_cannot_propose"

        answered = _api(persona["answerer_token"]).post(path, body, content_type="application/json")
        assert answered.status_code == 200, answered.json()
        assert answered.json()["state"] == "proposed"
