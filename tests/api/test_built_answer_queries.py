"""Building a requirement's or plan's answer reads each of its parts once, whatever its size:
the same number of queries for a plan of 3 scenarios and 3 items as for one of 23 and 18."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from techalign.core.answers import kept_answers


# Bounds: the large set's count plus one (measured 2026-12-07, small → large: requirement
# 17 → 19, plan 20 → 20; the requirement was 21 → 23 before its answer read its items, scenarios
# and baseline once). The large requirement's two more read its open questions and its
# acknowledgement delegates, which the small one has none of; neither is read per row.
@pytest.mark.parametrize(
    ("path", "bound"), [("/requirements/{key}", 20), ("/requirements/{key}/plan", 21)]
)
def test_an_answer_is_built_in_a_fixed_number_of_queries(sized, as_, path, bound):
    client = as_("lei")
    client.get(path.format(key=sized.key))
    kept_answers.clear()  # build it again, as a first reader would
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path.format(key=sized.key))
    assert response.status_code == 200
    assert len(queries) <= bound


@pytest.mark.parametrize("step", ["draft", "planning", "finalized"])
def test_an_answer_reads_the_plan_once_whether_there_is_one_or_not(w, as_, step):
    """The plan summary and who acts next both ask for the plan; a draft has none, which is
    an answer too. A finalized requirement's parties come from its baseline's revision, the
    current one here, read with the plan."""
    from tests.factories import advance

    req = advance(w, step)
    kept_answers.clear()
    with CaptureQueriesContext(connection) as queries:
        response = as_("lei").get(f"/requirements/{req.key}")
    assert response.status_code == 200
    plans = [q for q in queries if 'FROM "plans_plan"' in q["sql"]]
    revisions = [
        q for q in queries if q["sql"].split(" WHERE ")[0].endswith('FROM "plans_revision"')
    ]
    assert len(plans) == 1, [q["sql"] for q in plans]
    assert revisions == [], [q["sql"] for q in revisions]


@pytest.mark.parametrize("step", ["in_review", "aligning", "finalized"])
def test_a_plans_answer_reads_its_reviews_and_its_parties_once(w, as_, step):
    """The history of reviews holds the current revision's latest one, which the approval
    gaps ask for; the sign-off state's parties are those the parties section read."""
    from tests.factories import advance

    req = advance(w, step)
    kept_answers.clear()
    with CaptureQueriesContext(connection) as queries:
        response = as_("lei").get(f"/requirements/{req.key}/plan")
    assert response.status_code == 200
    reviews = [q["sql"] for q in queries if 'FROM "plans_review"' in q["sql"]]
    teams = [q["sql"] for q in queries if q["sql"].split(" WHERE ")[0].endswith('FROM "org_team"')]
    assert len(reviews) == 1, reviews
    assert len(teams) == 1, teams
