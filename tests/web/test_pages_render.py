"""Every page renders at every step of the process, in both languages, for each persona."""

import pytest
from django.urls import reverse

from tests.factories import STEPS, advance

PAGES = ["web:requirement", "web:plan", "web:history", "web:align", "web:baseline", "web:activity"]


@pytest.mark.parametrize("step", STEPS)
def test_every_requirement_page_renders_at_every_step(w, as_user, step):
    req = advance(w, step)
    for persona in (w.ming, w.lei, w.qiang, w.hua, w.charlie):
        client = as_user(persona, "zh-hans" if persona is w.ming else "en")
        for name in PAGES:
            response = client.get(reverse(name, args=[req.key]))
            assert response.status_code == 200, (name, persona)
        meeting = req.meetings.first()
        if meeting:
            response = client.get(reverse("web:meeting", args=[req.key, meeting.key]))
            assert response.status_code == 200


def test_site_pages_render(w, as_user):
    req = advance(w, "finalized")
    client = as_user(w.lei)
    for url in [
        reverse("web:inbox"),
        reverse("web:requirements"),
        reverse("web:org"),
        reverse("web:catalog"),
        reverse("web:team", args=["order"]),
        reverse("web:department", args=["trade"]),
        reverse("web:preferences"),
        reverse("web:requirements") + "?status=finalized&mine=1",
    ]:
        assert client.get(url).status_code == 200, url
    assert req.key in client.get(reverse("web:team", args=["payments"])).content.decode()


def test_the_navigation_counts_my_work_on_the_inbox_and_after_other_pages_load(w, as_user):
    req = advance(w, "handed_off", scenarios=2)  # two scenarios wait for lei to acknowledge
    client = as_user(w.lei)
    inbox = client.get(reverse("web:inbox")).content.decode()
    assert 'id="work-count" title="Things waiting for you">2</span>' in inbox

    page = client.get(reverse("web:requirement", args=[req.key])).content.decode()
    loader = f'<span id="work-count" hx-get="{reverse("web:work_count")}" hx-trigger="load"'
    assert loader in page
    count = client.get(reverse("web:work_count")).content.decode()
    assert 'title="Things waiting for you">2</span>' in count
    assert client.get(reverse("web:work_count"), follow=False).status_code == 200
    assert as_user(w.charlie).get(reverse("web:work_count")).content.decode().strip() == ""


def test_plan_items_show_their_kind_and_post_their_actions_to_their_own_urls(w, as_user):
    req = advance(w, "planning")
    page = as_user(w.lei).get(reverse("web:plan", args=[req.key])).content.decode()
    assert '<span class="badge">API change</span>' in page
    remove = reverse("web:do_on", args=[req.key, "remove_item", "I-1"])
    assert f'action="{remove}"' in page
    assert f'action="{reverse("web:do", args=[req.key, "add_item"])}"' in page
