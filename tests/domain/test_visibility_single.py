"""One requirement looked up by key decides visibility by the same rule as the list: for every
persona and every step of a private requirement, `visible_requirement` finds it exactly when
`visible_requirements` lists it; and the lookup costs the same queries (the row, then at most one
EXISTS) however many requirements the organisation holds."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.generator import seed
from techalign.core.errors import Refused
from techalign.meetings import services as meetings
from techalign.org.models import Membership, Role
from techalign.requirements import services as requirements
from techalign.requirements.models import Requirement, Status
from techalign.requirements.selectors import (
    get_requirement,
    visible_requirement,
    visible_requirements,
)
from tests.factories import STEPS, advance, finalize_current, grant, make_user, sign_all, world

pytestmark = pytest.mark.django_db

PERSONAS = ["ming", "lei", "fang", "qiang", "hua", "jun", "li", "wei", "arch", "charlie", "ada"]

# Who sees the order team's private requirement at each step: the lead team always; the payments
# and finance teams once the plan has items they own (planning onward); the committee's
# architect and the outsider charlie never, unless invited; the administrator ada always.
LEAD = {"ming", "lei", "fang", "qiang", "ada"}
PARTIES = {"hua", "jun", "li", "wei"}
EXPECTED = {step: LEAD | (PARTIES if STEPS.index(step) >= 2 else set()) for step in STEPS}


def _private(w, step: str) -> Requirement:
    """The order team's requirement at `step`, made private before its baseline (after it, the
    text changes only through a change request)."""
    req = advance(w, to="aligning" if step == "finalized" else step)
    req = requirements.update_requirement(
        requirement=req, actor=w.ming, version=req.version, is_private=True
    )
    if step == "finalized":
        sign_all(w, req)
        finalize_current(req, w.ming)
        req.refresh_from_db()
    assert req.status == step and req.is_private
    return req


def _people(w) -> dict:
    people = {name: getattr(w, name) for name in PERSONAS if name != "ada"}
    people["ada"] = grant(make_user("ada"), w.committee, Role.ADMIN)
    return people


def _both_agree(user, req: Requirement) -> bool:
    single = visible_requirement(user, req.number)
    listed = visible_requirements(user).filter(pk=req.pk).exists()
    assert (single is not None) == listed, f"{user}: single {single}, listed {listed}"
    assert single is None or single.pk == req.pk
    return listed


@pytest.mark.parametrize("step", STEPS)
def test_the_single_lookup_and_the_list_agree_for_every_persona(w, step):
    req = _private(w, step)
    public = advance(w, to=step)
    for name, user in _people(w).items():
        assert _both_agree(user, req) == (name in EXPECTED[step]), (name, step)
        assert _both_agree(user, public), f"{name} must see a public requirement"


def test_an_invitation_shows_a_private_requirement_to_the_outsider_only_while_invited(w):
    req = _private(w, "aligning")
    meeting = req.meetings.get()
    assert not _both_agree(w.charlie, req)
    assert not _both_agree(w.arch, req)

    meetings.add_invitee(meeting=meeting, actor=w.ming, user=w.arch)

    assert _both_agree(w.arch, req)
    assert not _both_agree(w.charlie, req)


def test_a_lead_dev_or_owner_outside_the_lead_team_still_sees_it(w):
    req = _private(w, "draft")
    Membership.objects.filter(user=w.lei, team=w.order).delete()
    lei = type(w.lei).objects.get(pk=w.lei.pk)  # roles read afresh
    assert _both_agree(lei, req)


def test_an_unseen_requirement_is_not_found_by_key(w):
    req = _private(w, "handed_off")
    with pytest.raises(Refused) as refused:
        get_requirement(w.hua, req.key)
    assert refused.value.code == "access.not_found"
    assert get_requirement(w.ming, req.key.lower()).pk == req.pk
    assert get_requirement(None, req.key).pk == req.pk


def _lookup_queries(scale: float) -> tuple[int, int]:
    """Queries of one lookup by key, by a PM who sees the requirement only because their team
    owns an item of its plan, in a generated organisation of `scale`, the requirement made
    private by its lead PM first (the costliest case); and how many requirements the PM sees."""
    seed(scale, 1, stream=None)
    party = (
        Requirement.objects.filter(
            plan__current_revision__items__isnull=False,
            status__in=[Status.PLANNING, Status.IN_REVIEW, Status.APPROVED, Status.ALIGNING],
        )
        .order_by("number")
        .values_list("pk", "plan__current_revision__items__owner_team", "lead_team")
    )
    pk, team, lead = next((pk, t, lead) for pk, t, lead in party if t != lead)
    req = Requirement.objects.get(pk=pk)
    if not req.is_private:
        lead_pm = Membership.objects.filter(team_id=lead, role=Role.PM).first().user
        req = requirements.update_requirement(
            requirement=req, actor=lead_pm, version=req.version, is_private=True
        )
    pm = (
        Membership.objects.filter(team_id=team, role=Role.PM)
        .exclude(user__memberships__team_id=lead)
        .first()
        .user
    )
    seen = visible_requirements(pm).count()  # also reads the PM's roles, as signing in does
    with CaptureQueriesContext(connection) as queries:
        found = get_requirement(pm, req.key)
    assert found.pk == req.pk
    return len(queries), seen


def test_a_lookup_by_key_costs_the_same_queries_in_a_ten_times_larger_organisation(db):
    mark = transaction.savepoint()
    small, seen_small = _lookup_queries(0.001)
    transaction.savepoint_rollback(mark)
    large, seen_large = _lookup_queries(0.01)
    assert seen_large > 5 * seen_small
    # The row by its number, then EXISTS over its plan's items and its meetings' invitees.
    assert small == large == 2, (small, large)


def test_a_caller_not_signed_in_is_listed_nothing():
    """Without an id, the rule's "owns or lead-develops" must not read as "has no lead DEV"."""
    w = world()
    req = requirements.create_requirement(actor=w.ming, lead_team=w.order, title="无主开发")
    Requirement.objects.filter(pk=req.pk).update(is_private=True)
    assert req.lead_dev is None
    assert list(visible_requirements(AnonymousUser())) == []
    assert list(visible_requirements(w.charlie)) == []
    assert list(visible_requirements(w.ming)) == [req]
