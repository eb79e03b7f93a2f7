"""A question belongs to its asker, in real Chromium and in Chinese: a party's DEV asks a
blocking question on the party's plan item, the lead DEV replies and proposes it as answered
(the question stays open), and only then does the asker accept it, which closes it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from techalign.org.models import Membership, Role
from techalign.plans import selectors as plans
from techalign.requirements.models import Question, Requirement
from tests.e2e.conftest import Desk

pytestmark = pytest.mark.browser

ASKED = "券叠加时由哪一方承担优惠金额？"


def form(page, action: str):
    return page.locator(f'form[action$="/do/{action}/"]')


def test_a_party_dev_asks_the_lead_dev_proposes_and_the_asker_accepts(browser, demo):
    requirement = Requirement.objects.get(title="新人首单立减券")
    party = min(plans.party_team_ids(requirement))
    asker = Membership.objects.filter(team_id=party, role=Role.DEV).first().user
    revision = plans.current_revision(requirement)
    item = next(i for i in plans.items_of(revision) if i.owner_team_id == party)
    url = f"/r/{requirement.key}/"
    desks = []
    try:
        party_dev = Desk(browser, demo.url, asker.username, "zh-hans")
        desks.append(party_dev)
        page = party_dev.page
        page.goto(url)
        ask = form(page, "raise_question")
        page.locator("details:has(form[action$='/do/raise_question/']) summary").click()
        ask.locator("textarea[name=body]").fill(ASKED)
        ask.locator("select[name=item_key]").select_option(item.key)
        ask.locator("input[name=is_blocking]").check()
        ask.locator("button.primary").click()
        expect(page.locator("#questions")).to_contain_text(ASKED)
        question = Question.objects.get(requirement=requirement, body=ASKED)

        lead_dev = Desk(browser, demo.url, requirement.lead_dev.username, "zh-hans")
        desks.append(lead_dev)
        lead = lead_dev.page
        lead.goto(url)
        thread = form(lead, f"thread/{question.key}")
        thread.locator("textarea[name=body]").fill("由营销侧承担，支付侧只记账")
        thread.locator("button[value=propose]").click()
        state = lead.locator(f"#thread-{question.key} [data-state]")
        expect(state).to_have_attribute("data-state", "proposed")
        expect(lead.locator(f'form[action$="/do/accept/{question.key}/"]')).to_have_count(0)

        page.goto(url)
        accept = form(page, f"accept/{question.key}").locator("button")
        expect(accept).to_contain_text(f"确认 {question.key} 的答复")
        accept.click()
        expect(page.locator(f"#thread-{question.key} [data-state]")).to_have_attribute(
            "data-state", "accepted"
        )
        expect(page.locator(f"#thread-{question.key}")).to_contain_text("由营销侧承担")
        question.refresh_from_db()
        assert question.is_resolved and question.resolved_by == asker
    finally:
        for open_desk in desks:
            open_desk.close()
