"""Sign-offs given before capacities and section hashes keep their meaning: migration 0005
fills the capacity (DEV when the signer holds DEV in the team, else PM) and the section hash
(the same function the services use), and links every baseline to the sign-offs that completed
it, the untouched parties' earlier ones too for a baseline made under a change request."""

from importlib import import_module

from django.apps import apps

from techalign.plans import services as plans
from techalign.plans.models import Baseline, SignOff
from tests.domain.support import current
from tests.factories import advance, finalize_current, open_change, review_current, sign_all

fill = import_module("techalign.plans.migrations.0005_fill_signoff_role_section_hash").fill


def as_before_the_migration():
    """What 0004 leaves: every row DEV with no section hash, baselines without sign-offs."""
    SignOff.objects.update(role="DEV", section_hash="")
    Baseline.signoffs.through.objects.all().delete()


def test_old_sign_offs_get_their_capacity_and_section_hash(w):
    req = advance(w, "finalized")
    signed = {s.pk: (s.role, s.section_hash) for s in SignOff.objects.all()}
    as_before_the_migration()

    fill(apps, None)

    assert {s.pk: (s.role, s.section_hash) for s in SignOff.objects.all()} == signed
    assert SignOff.objects.get(signer=w.ming).role == "PM"
    assert SignOff.objects.get(signer=w.ming).section_hash == current(req).content_hash


def test_old_baselines_list_the_sign_offs_that_completed_them(w):
    req = advance(w, "finalized")
    open_change(w, req, affected=[w.payments])
    plans.update_item(requirement=req, actor=w.lei, based_on=3, item_key="I-1", title="审批")
    review_current(w, req)
    sign_all(w, req, teams=[w.order, w.payments])
    finalize_current(req, w.ming)
    linked = {
        b.version: set(b.signoffs.values_list("pk", flat=True)) for b in Baseline.objects.all()
    }
    as_before_the_migration()

    fill(apps, None)

    v1, v2 = Baseline.objects.order_by("version")
    assert set(v2.signoffs.values_list("pk", flat=True)) == linked[2]
    assert set(v1.signoffs.values_list("pk", flat=True)) == linked[1]
    assert {(s.team.code, s.revision.number) for s in v2.signoffs.all()} >= {("finance", 3)}


def test_a_party_signed_only_by_its_pm_keeps_that_sign_off_as_pm(w):
    req = advance(w, "aligning")
    revision = current(req)
    old = SignOff.objects.create(
        revision=revision,
        team=w.payments,
        signer=w.hua,
        role="DEV",
        decision="approve",
        content_hash=revision.content_hash,
        section_hash="",
    )

    fill(apps, None)

    old.refresh_from_db()
    assert old.role == "PM"
    assert len(old.section_hash) == 64
