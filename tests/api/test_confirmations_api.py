"""The API asks for the same confirmations as the pages: a plan submitted with known gaps and
a plan change that withdraws a review are refused (409, naming the gaps or what is
withdrawn) unless the client sends `"confirm": true` or `?confirm=1`."""

from techalign.requirements import services as requirements
from techalign.requirements.models import Status
from tests.factories import advance


def test_submitting_with_gaps_is_refused_naming_them_until_confirmed(w, as_):
    req = advance(w, "planning")
    requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")  # uncovered
    lei = as_("lei")
    refused = lei.post(f"/requirements/{req.key}/plan/submit", {"revision": 4})
    assert refused.status_code == 409
    error = refused.json()
    assert error["code"] == "plan.gaps_unconfirmed"
    # A new scenario is neither covered nor acknowledged yet.
    assert error["details"]["gaps"] == ["plan.coverage_incomplete", "plan.scenarios_unacknowledged"]
    assert "S-4" in error["details"]["problems"] and "S-4" in error["message"]
    req.refresh_from_db()
    assert req.status == Status.PLANNING
    submitted = lei.post(f"/requirements/{req.key}/plan/submit", {"revision": 4, "confirm": True})
    assert submitted.status_code == 200, submitted.content
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW


def test_confirm_may_come_in_the_query(w, as_):
    req = advance(w, "planning")
    requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")
    submitted = as_("lei").client.post(
        f"/api/v1/requirements/{req.key}/plan/submit?confirm=1",
        {"revision": 4},
        content_type="application/json",
        headers=as_("lei").headers,
    )
    assert submitted.status_code == 200, submitted.content


def test_a_complete_plan_is_submitted_without_confirming(w, as_):
    req = advance(w, "planning")
    submitted = as_("lei").post(f"/requirements/{req.key}/plan/submit", {"revision": 3})
    assert submitted.status_code == 200


def test_an_edit_under_review_is_refused_naming_what_it_withdraws_until_confirmed(w, as_):
    req = advance(w, "in_review")
    lei = as_("lei", "zh-hans")
    path = f"/requirements/{req.key}/plan/items/I-1"
    refused = lei.patch(path, {"based_on": 3, "title": "改"})
    assert refused.status_code == 409
    error = refused.json()
    assert error["code"] == "plan.withdrawal_unconfirmed"
    assert error["details"]["withdrawn"] == "修订 3 的评审请求"
    assert req.plan.revisions.count() == 3  # nothing written
    edited = lei.patch(path, {"based_on": 3, "title": "改", "confirm": True})
    assert edited.status_code == 200, edited.content
    req.refresh_from_db()
    assert req.status == Status.PLANNING


def test_removing_an_item_after_approval_needs_confirm_in_the_query(w, as_):
    req = advance(w, "approved")
    lei = as_("lei")
    path = f"/requirements/{req.key}/plan/items/I-3"
    refused = lei.delete(path, based_on=3)
    assert refused.json()["code"] == "plan.withdrawal_unconfirmed"
    assert "the approval of revision 3" in refused.json()["message"]
    assert lei.delete(path, based_on=3, confirm=1).status_code == 200
    assert req.plan.current_revision.items.count() == 2
