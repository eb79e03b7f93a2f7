"""The Markdown import through the API asks for the same confirmation as the item routes: an
import that withdraws an approval is refused (409 plan.withdrawal_unconfirmed) unless the
client sends `?confirm=1` or `"confirm": true` in the JSON body."""

import json

from techalign.plans.markdown import export_plan
from techalign.requirements.models import Status
from tests.factories import advance


def _post(api, key: str, data: str, content_type: str, query: str = ""):
    return api.client.post(
        f"/api/v1/requirements/{key}/plan.md{query}",
        data=data,
        content_type=content_type,
        headers=api.headers,
    )


def test_an_import_into_an_approved_plan_is_refused_until_confirmed_in_the_query(w, as_):
    req = advance(w, "approved")
    text = export_plan(req).replace("改 ledger", "改总账")
    lei = as_("lei", "zh-hans")
    refused = _post(lei, req.key, text, "text/markdown")
    assert refused.status_code == 409
    error = refused.json()
    assert error["code"] == "plan.withdrawal_unconfirmed"
    assert error["details"]["withdrawn"] == "修订 3 的评审通过"
    req.refresh_from_db()
    assert req.status == Status.APPROVED and req.plan.revisions.count() == 3
    imported = _post(lei, req.key, text, "text/markdown", "?confirm=1")
    assert imported.status_code == 200, imported.content
    assert imported.json()["revision"] == 4
    req.refresh_from_db()
    assert req.status == Status.PLANNING


def test_an_import_as_json_confirms_in_the_body(w, as_):
    req = advance(w, "in_review")
    text = export_plan(req).replace("改 ledger", "改总账")
    lei = as_("lei")
    refused = _post(lei, req.key, json.dumps({"markdown": text}), "application/json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "plan.withdrawal_unconfirmed"
    body = json.dumps({"markdown": text, "confirm": True})
    imported = _post(lei, req.key, body, "application/json")
    assert imported.status_code == 200, imported.content
    assert imported.json()["changed"] is True
