"""The align tab's sign-off table: per party who signed, as PM or DEV, on which revision,
whether it stands and why it was voided; the sign-off form takes the capacity."""

from django.urls import reverse

from techalign.plans import services as plans
from techalign.plans.selectors import current_revision
from tests.factories import advance, grant, hold_meeting, review_current, sign_all
from tests.web.test_actions import do


def row(page: str, team_code: str) -> str:
    start = page.index(f'<tr data-team="{team_code}">')
    return page[start : page.index("</tr>", start)]


def test_the_table_shows_standing_and_voided_sign_offs_per_party(w, as_user):
    req = advance(w, "aligning")
    sign_all(w, req)
    plans.update_item(
        requirement=req, actor=w.lei, based_on=3, item_key="I-2", ask="加冲正", confirm=True
    )
    review_current(w, req)

    page = as_user(w.ming).get(reverse("web:align", args=[req.key])).content.decode()

    finance = row(page, "finance")
    assert "wei · as DEV · r3" in finance and "stands — signed on r3" in finance
    assert "Complete" in finance
    payments = row(page, "payments")
    assert "Not signed" in payments and "still needs: DEV" in payments
    assert "jun · as DEV · r3: its section changed in r4" in payments
    order = row(page, "order")
    assert "the plan changed in r4: the lead team always re-signs" in order


def test_the_form_signs_in_the_capacity_chosen(w, as_user):
    grant(w.lei, w.order, "PM")
    req = advance(w, "aligning")
    hold_meeting(w, req)
    revision = current_revision(req)

    do(
        as_user(w.lei),
        req,
        "sign_off",
        team=w.order.pk,
        revision=revision.number,
        content_hash=revision.content_hash,
        as_role="PM",
        decision="approve",
    )

    (signoff,) = revision.signoffs.all()
    assert (signoff.signer, signoff.role) == (w.lei, "PM")
    page = as_user(w.ming).get(reverse("web:align", args=[req.key])).content.decode()
    assert "lei · as PM · r3" in row(page, "order")


def test_the_baseline_page_lists_each_partys_signer_capacity_and_revision(w, as_user):
    req = advance(w, "finalized")

    page = as_user(w.jun).get(reverse("web:baseline", args=[req.key])).content.decode()

    assert "支付组: jun · as DEV · on r3" in page
    assert "订单组: ming · as PM · on r3" in page
