"""The activity tab reads as sentences in the reader's language, with diffs and a kind filter."""

import pytest
from django.urls import reverse

from techalign.core.errors import Refused
from techalign.requirements import services as requirements
from tests.factories import advance


def _activity(client, req, **query):
    return client.get(reverse("web:activity", args=[req.key]), query).content.decode()


def test_a_scenario_edit_reads_as_a_chinese_sentence_with_its_diff(w, as_user):
    req = advance(w, "draft", scenarios=1)
    scenario = req.scenarios.get()
    requirements.update_scenario(
        scenario=scenario, actor=w.ming, acceptance_criteria="退款金额不超过实付"
    )
    page = _activity(as_user(w.ming, "zh-hans"), req)
    assert "ming 修改了 S-1 场景 1 的验收标准" in page
    assert '<ins class="diff-add">退款金额不超过实付</ins>' in page
    assert "scenario.updated" not in page and "{&#x27;" not in page and "before" not in page


def test_the_same_event_reads_in_english_for_an_english_reader(w, as_user):
    req = advance(w, "draft", scenarios=1)
    requirements.update_scenario(scenario=req.scenarios.get(), actor=w.ming, title="全额退款")
    page = _activity(as_user(w.lei, "en"), req)
    assert "ming changed the Title of S-1 全额退款" in page
    assert '<del class="diff-del">场景 1</del>' in page


def test_a_refused_attempt_names_the_unmet_condition(w, as_user):
    req = advance(w, "draft", scenarios=1)
    with pytest.raises(Refused):
        requirements.hand_off(requirement=req, actor=w.charlie)
    page = _activity(as_user(w.ming, "zh-hans"), req)
    assert "拒绝：" in page and "charlie" in page
    assert "role.not_allowed" not in page


def test_the_kind_filter_keeps_only_that_kind(w, as_user):
    req = advance(w, "planning")
    client = as_user(w.ming, "zh-hans")
    everything = _activity(client, req)
    assert 'data-kind="plan"' in everything and 'data-kind="scenario"' in everything
    plans_only = _activity(client, req, kind="plan")
    assert 'data-kind="plan"' in plans_only and 'data-kind="scenario"' not in plans_only
    unknown = _activity(client, req, kind="nonsense")
    assert 'data-kind="scenario"' in unknown
