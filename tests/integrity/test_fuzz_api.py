"""Hostile input over the whole API, in process through the WSGI application.

schemathesis generates valid and schema-violating requests for every operation in the OpenAPI
schema, with a fixed seed and a bounded number of examples, authenticated with a real token.
No answer may be a 5xx, and no request with a schema-violating body may be accepted with a 2xx.
Path parameters are pinned to objects that exist, and writes to an editable resource (those
documenting 428) carry its current ETag in If-Match, so valid requests reach the services instead
of stopping at 404 or 428; without If-Match, no valid request to such a write is accepted. The
administration API (/admin/) is called as an administrator, so its requests reach the services
rather than stopping at the role check.
"""

from __future__ import annotations

import copy
import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection
from werkzeug.test import Client as WsgiClient

from techalign.api.main import api
from techalign.audit.services import batch
from techalign.calendars.services import add_upload
from techalign.org.models import Role
from techalign.org.services import issue_token
from techalign.requirements.services import raise_question
from techalign.wsgi import application
from tests.calendars.ics_builders import calendar
from tests.factories import advance, grant, make_user, world

pytestmark = pytest.mark.slow

SEED = 20261126
EXAMPLES_PER_OPERATION = 6
# Objects the fixture below creates.
EXISTING = {
    "key": ["REQ-1", "REQ-2"],
    "code": ["order", "payments"],
    "department": ["trade", "fin"],
    "scenario": ["S-1", "S-2"],
    "item": ["I-1", "I-3"],
    "question": ["Q-1"],
    "number": [1, 3],
    "version": [1],
    "change": ["CR-1"],
    "meeting": ["M-1"],
    "username": ["lei", "hua"],
    "item_id": [1],
    "source_id": [1],
    "component": ["order-service", "ledger"],
    "on": ["2026-12-28"],
}
ADMIN_PATH = "/api/v1/admin/"


def pinned(schema: dict) -> dict:
    """The OpenAPI schema with each known path parameter limited to existing objects."""
    schema = copy.deepcopy(schema)
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in EXISTING:
                    values = EXISTING[parameter["name"]]
                    if parameter["schema"].get("type") == "string":
                        values = [str(value) for value in values]  # e.g. revision "3" (or "r3")
                    parameter["schema"]["enum"] = values
    return schema


CONFIG_DICT = {
    "seed": SEED,
    "generation": {
        "max-examples": EXAMPLES_PER_OPERATION,
        "mode": "all",
        # The real token below authenticates; generated credentials would only hide it.
        "with-security-parameters": False,
        "database": "none",
    },
    "phases": {"stateful": {"enabled": False}},
    "checks": {"negative_data_rejection": {"expected-statuses": ["4xx", "5xx"]}},
}
CONFIG = schemathesis.Config.from_dict(CONFIG_DICT)


schema = schemathesis.openapi.from_dict(pinned(api.get_openapi_schema()), config=CONFIG)
schema.app = application


def needs_if_match(ctx) -> bool:
    """A write to an editable resource: it documents 428 (If-Match missing) and 412 (stale)."""
    return "428" in ctx.operation.definition.raw.get("responses", {})


def current_etag(path: str, headers: dict) -> str | None:
    """The ETag a client would have read before this write: from a GET of its path, else of the
    nearest enclosing resource (a scenario's is its requirement's, a plan item's its plan's).

    Read through the WSGI application as the cases are; Django's test client would reconnect
    the signal that closes connections between requests, ending the test's transaction."""
    client = WsgiClient(application)
    while path.count("/") > 2:
        etag = client.get(path, headers=headers).headers.get("ETag")
        if etag:
            return etag
        path = path.rsplit("/", 1)[0]
    return None


# Valid requests only, to the writes that need If-Match, sent without it.
unconditional = schemathesis.openapi.from_dict(
    pinned(api.get_openapi_schema()),
    config=schemathesis.Config.from_dict(
        {**CONFIG_DICT, "generation": {**CONFIG_DICT["generation"], "mode": "positive"}}
    ),
).include(needs_if_match)
unconditional.app = application


@pytest.fixture(scope="module")
def fuzz_data(django_db_setup, django_db_blocker):
    """Built once for every operation: each test's own transaction rolls back to this one,
    which rolls back when the module is done (a batch, so the services join it)."""
    with django_db_blocker.unblock(), batch():
        w = world()
        aligning = advance(w, to="aligning")
        raise_question(requirement=aligning, actor=w.hua, body="退款失败时如何通知?")
        advance(w, to="finalized")
        add_upload(actor=w.lei, user=w.lei, name="work", content=calendar())
        ada = grant(make_user("ada"), w.committee, Role.ADMIN)
        yield {
            "dev": issue_token(actor=None, user=w.lei, name="fuzz")[1],
            "admin": issue_token(actor=None, user=ada, name="fuzz")[1],
        }
        transaction.set_rollback(True)


@pytest.fixture
def token(fuzz_data, db) -> str:
    """The lead DEV's token, on a requirement in its alignment meeting and a baselined one."""
    return fuzz_data["dev"]


def token_for(case, fuzz_data: dict[str, str]) -> str:
    """An administrator's token for the administration API, else the lead DEV's."""
    return fuzz_data["admin" if case.path.startswith(ADMIN_PATH) else "dev"]


@pytest.fixture(autouse=True)
def connection_kept_across_requests():
    """Requests run inside the test's transaction, as under Django's test client: the signal
    that closes connections between requests would end that transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
# The fixtures hold the data every example works on; each example may change it, on purpose.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_no_request_gets_a_server_error_or_a_malformed_body_accepted(case, fuzz_data, db):
    headers = {"Authorization": f"Bearer {token_for(case, fuzz_data)}", "Accept-Language": "en"}
    if needs_if_match(case):
        etag = current_etag(case.formatted_path, headers)
        headers.update({"If-Match": etag} if etag else {})
    response = case.call(headers=headers)

    checks = [not_a_server_error]
    if body_is_malformed(case):
        checks.append(negative_data_rejection)
    case.validate_response(response, checks=checks)


@unconditional.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_no_write_that_needs_if_match_is_accepted_without_it(case, fuzz_data, db):
    if isinstance(case.body, dict) and case.body.get("based_on") is not None:
        return  # a plan edit may name the revision it is based on in its body instead
    token = token_for(case, fuzz_data)
    response = case.call(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})

    assert response.status_code >= 400, (case.method, case.formatted_path, response.text[:300])
    case.validate_response(response, checks=[not_a_server_error])


def body_is_malformed(case) -> bool:
    """Whether this case's request body violates the schema (rather than only its query or
    path: a lenient query parser is not what this test is about)."""
    body = case.meta.components.get(ParameterLocation.BODY) if case.meta else None
    return body is not None and body.mode.is_negative


BODY_OPERATIONS = [
    (method.upper(), path)
    for path, operations in api.get_openapi_schema()["paths"].items()
    for method, operation in operations.items()
    if "application/json" in operation.get("requestBody", {}).get("content", {})
]


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
@pytest.mark.parametrize("body", ['"AAA"', "[]", "42", "null", '{"unknown": 1}'])
def test_every_request_body_must_be_an_object_of_known_fields(client, token, method, path, body):
    url = path
    for name, values in EXISTING.items():
        url = url.replace("{" + name + "}", str(values[0]))

    response = client.generic(
        method,
        url,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code in {400, 422}, (response.status_code, response.content[:300])
    assert json.loads(response.content)["code"] in {"input.invalid", "input.malformed"}
