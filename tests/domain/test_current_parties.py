"""The teams a requirement's current revision asks something of are kept as its current
parties with every new revision, the same set its items give; a party that loses its last item
no longer sees the private requirement, and one given an item sees it from that revision on."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import connection
from django.db.models import F

from bench.generator import seed
from techalign.plans import services as plans
from techalign.plans.models import CurrentParty, Item
from techalign.plans.selectors import current_revision
from techalign.requirements import services as requirements
from techalign.requirements.selectors import visible_requirement, visible_requirements
from tests.factories import advance

pytestmark = pytest.mark.django_db


def _kept(req) -> set[str]:
    return {p.team.code for p in CurrentParty.objects.filter(requirement=req)}


def _from_items(req) -> set[str]:
    return {item.owner_team.code for item in current_revision(req).items.all()}


def _sees(user, req) -> bool:
    listed = visible_requirements(user).filter(pk=req.pk).exists()
    assert (visible_requirement(user, req.number) is not None) == listed
    return listed


def test_parties_follow_every_revision_and_decide_who_sees_a_private_requirement(w):
    req = advance(w, "planning")
    req = requirements.update_requirement(
        requirement=req, actor=w.ming, version=req.version, is_private=True
    )
    assert _kept(req) == _from_items(req) == {"order", "payments", "finance"}
    assert _sees(w.li, req)

    for item in current_revision(req).items.filter(owner_team=w.finance):
        plans.remove_item(
            requirement=req,
            actor=w.wei,
            based_on=current_revision(req).number,
            item_key=item.key,
        )
    assert _kept(req) == _from_items(req) == {"order", "payments"}
    assert not _sees(w.li, req)
    assert _sees(w.hua, req)

    plans.add_item(
        requirement=req,
        actor=w.lei,
        based_on=current_revision(req).number,
        component=w.ledger,
        kind="api_change",
        title="记账接口支持部分退款",
        ask="请提供部分退款记账接口",
        due_on=dt.date.today() + dt.timedelta(days=20),
        scenario_keys=["S-1"],
    )
    assert _kept(req) == _from_items(req) == {"order", "payments", "finance"}
    assert _sees(w.li, req)


def _derived() -> set[tuple[int, int]]:
    return set(
        Item.objects.filter(revision__plan__current_revision=F("revision")).values_list(
            "revision__plan__requirement_id", "owner_team_id"
        )
    )


def test_a_generated_organisation_keeps_the_parties_its_items_give(db):
    seed(0.001, 1, stream=None)
    assert _derived()
    assert set(CurrentParty.objects.values_list("requirement_id", "team_id")) == _derived()


def test_the_migration_fills_them_from_the_current_revisions(db):
    seed(0.001, 1, stream=None)
    CurrentParty.objects.all().delete()
    fill = importlib.import_module("techalign.plans.migrations.0008_current_party").FILL
    with connection.cursor() as cursor:
        cursor.execute(fill)
    assert set(CurrentParty.objects.values_list("requirement_id", "team_id")) == _derived()
