"""The health overview comes a page at a time: ten requirements' findings, twenty teams."""

from django.urls import reverse

from techalign.health import views
from techalign.org.models import Department, Team
from tests.factories import advance, make_team


def test_the_overview_pages_its_teams_and_keeps_the_findings_filters(w, client):
    advance(w, "planning")
    department = Department.objects.create(code="more", name="更多部门")
    for n in range(views.TEAMS_PER_PAGE):
        make_team(f"team-{n:02d}", department, name=f"小组{n:02d}")
    client.force_login(w.ming)
    first = client.get(reverse("health:overview"), {"severity": "error"}).content.decode()
    total = Team.objects.count()
    assert total > views.TEAMS_PER_PAGE
    assert "?severity=error&amp;teams_page=2" in first
    assert first.count('href="/health/teams/') == views.TEAMS_PER_PAGE
    second = client.get(reverse("health:overview"), {"teams_page": 2}).content.decode()
    assert second.count('href="/health/teams/') == total - views.TEAMS_PER_PAGE
