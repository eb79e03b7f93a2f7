"""Every page renders with the demo organisation, in both languages, without a server error."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from techalign.audit.models import AuditEvent
from techalign.demo import PERSONAS, load_demo
from techalign.org.models import Department, Team, User
from techalign.requirements.models import Requirement

TABS = ["web:requirement", "web:plan", "web:history", "web:align", "web:baseline", "web:activity"]


@pytest.fixture
def demo(db):
    load_demo()


def signed_in(username: str, language: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    session = client.session
    session["language"] = language
    session.save()
    return client


def urls() -> list[str]:
    pages = [
        reverse("web:inbox"),
        reverse("web:requirements"),
        reverse("web:org"),
        reverse("web:catalog"),
        reverse("web:preferences"),
    ]
    pages += [reverse("web:team", args=[t.code]) for t in Team.objects.all()]
    pages += [reverse("web:department", args=[d.code]) for d in Department.objects.all()]
    for requirement in Requirement.objects.prefetch_related("meetings"):
        pages += [reverse(name, args=[requirement.key]) for name in TABS]
        pages += [
            reverse("web:meeting", args=[requirement.key, m.key])
            for m in requirement.meetings.all()
        ]
    return pages


@pytest.mark.parametrize(
    ("persona", "language"),
    [("lead_pm", "zh-hans"), ("payments_dev", "en"), ("outsider", "zh-hans")],
)
def test_every_page_renders_with_the_demo(demo, persona, language):
    client = signed_in(PERSONAS[persona], language)
    for url in urls():
        response = client.get(url)
        # Private requirements of other teams are simply not found.
        assert response.status_code in {200, 404}, url
        if response.status_code == 200:
            assert response["Content-Language"] == language


def test_the_admin_renders_for_a_superuser(demo):
    client = Client()
    client.force_login(User.objects.filter(is_superuser=True).first())
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        # A list reads its rows with the relations it shows, never one query per row (the demo
        # has 205 audit events, 26 people, 24 revisions), and joins only those relations: a
        # bare select_related() followed every foreign key, 17 tables for a change request.
        assert len(queries) <= 12, (url, len(queries))
        joins = max(query["sql"].count(" JOIN ") for query in queries)
        assert joins <= 3, (url, joins)
    first = AuditEvent.objects.order_by("seq").first()
    event = client.get(f"/admin/audit/auditevent/{first.pk}/change/")
    assert event.status_code == 200 and b'name="_save"' not in event.content


def test_the_browsers_icon_request_gets_an_empty_answer_signed_in_or_not(demo):
    """The admin's pages declare no icon, so browsers ask for /favicon.ico: not a 404 each."""
    client = Client()
    assert client.get("/favicon.ico").status_code == 204
    client.force_login(User.objects.filter(is_superuser=True).first())
    response = client.get("/favicon.ico")
    assert response.status_code == 204 and "max-age=86400" in response["Cache-Control"]


def test_the_admin_shows_teams_and_people_but_edits_go_through_the_audited_services(demo):
    from techalign.org.models import Team, User

    client = Client()
    admin = User.objects.create_superuser("root2", "root2@example.com", "pw")
    client.force_login(admin)
    team = Team.objects.first()
    assert client.get(f"/admin/org/team/{team.pk}/change/").status_code == 200
    posted = client.post(f"/admin/org/team/{team.pk}/change/", {"name": "改名"})
    assert posted.status_code == 403
    team.refresh_from_db()
    assert team.name != "改名"
    assert client.get("/admin/org/user/add/").status_code == 403
    person = User.objects.get(username="lilei")
    page = client.get(f"/admin/org/user/{person.pk}/change/").content.decode()
    assert 'name="display_name"' not in page  # shown, not editable
    assert client.get(f"/admin/org/user/{person.pk}/password/").status_code == 200
