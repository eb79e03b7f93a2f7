"""The requirement list: keyword search, filters, sort, pagination, 新建需求 at the top."""

from django.urls import reverse

from techalign.requirements import services as requirements
from techalign.web.views.requirements import LIST_PAGE_SIZE
from tests.factories import advance


def _rows(client, **query):
    page = client.get(reverse("web:requirements"), query).content.decode()
    return page


def _make(w, title, *, team=None, actor=None, scenario=None):
    req = requirements.create_requirement(
        actor=actor or w.ming, lead_team=team or w.order, title=title, lead_dev=None
    )
    if scenario:
        requirements.add_scenario(requirement=req, actor=actor or w.ming, title=scenario)
    return req


def test_keyword_finds_by_key_title_and_scenario_text(w, as_user):
    refund = _make(w, "部分退款")
    coupon = _make(w, "优惠券", scenario="用户在结算页使用红包")
    other = _make(w, "发票")
    client = as_user(w.ming)
    page = _rows(client, q="退款")
    assert refund.key in page and coupon.key not in page and other.key not in page
    page = _rows(client, q="红包")
    assert coupon.key in page and refund.key not in page
    page = _rows(client, q=other.key.lower())
    assert other.key in page and refund.key not in page
    page = _rows(client, q="没有这样的词")
    assert "No requirement matches these filters." in page


def test_team_step_mine_and_related_filters(w, as_user):
    ours = advance(w, "planning")  # payments and finance own components of its plan
    theirs = _make(w, "支付对账", team=w.payments, actor=w.hua)
    client = as_user(w.jun)  # a payments DEV
    page = _rows(client, team="payments")
    assert theirs.key in page and ours.key not in page
    page = _rows(client, status="planning")
    assert ours.key in page and theirs.key not in page
    page = _rows(client, related="1")
    assert ours.key in page and theirs.key in page
    page = _rows(as_user(w.charlie), related="1")
    assert ours.key not in page and theirs.key not in page
    page = _rows(as_user(w.hua), mine="1")
    assert theirs.key in page and ours.key not in page


def test_sort_by_title_and_oldest_first(w, as_user):
    b = _make(w, "B 第二")
    a = _make(w, "A 第一")
    client = as_user(w.ming)
    page = _rows(client, sort="title")
    assert page.index(a.key) < page.index(b.key)
    page = _rows(client, sort="oldest")
    assert page.index(b.key) < page.index(a.key)
    page = _rows(client, sort="nonsense")  # unknown sort falls back to newest first
    assert page.index(a.key) < page.index(b.key)


def test_pages_keep_the_filters_and_new_requirement_is_above_the_list(w, as_user):
    for n in range(LIST_PAGE_SIZE + 1):
        _make(w, f"退款 {n}")
    client = as_user(w.ming, "zh-hans")
    page = _rows(client, q="退款")
    assert page.index("新建需求") < page.index("<table")
    assert "?q=%E9%80%80%E6%AC%BE&amp;page=2" in page
    second = _rows(client, q="退款", page=2)
    assert "退款 0" in second and "退款 1<" not in second


def test_creating_a_requirement_says_saved_on_its_page(w, as_user):
    client = as_user(w.ming, "zh-hans")
    response = client.post(
        reverse("web:requirement_create"),
        {"lead_team": w.order.pk, "title": "新需求", "lead_dev": w.lei.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert "已保存" in response.content.decode() and "新需求" in response.content.decode()
