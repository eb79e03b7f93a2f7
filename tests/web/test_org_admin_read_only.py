"""Departments and the organisation policy show in the Django admin but change only through
the audited org services: a superuser's post there is refused and writes nothing."""

from django.test import Client

from techalign.org.models import Department, OrgPolicy, User


def test_the_admin_shows_departments_and_the_policy_read_only(w):
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    department = Department.objects.get(code="fin")
    url = f"/admin/org/department/{department.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(url, {"code": "fin", "name": "改名"}).status_code == 403
    department.refresh_from_db()
    assert department.name == "金融部"
    assert client.get("/admin/org/department/add/").status_code == 403
    assert client.post(f"/admin/org/department/{department.pk}/delete/").status_code == 403
    policy = OrgPolicy.objects.create()
    policy_url = f"/admin/org/orgpolicy/{policy.pk}/change/"
    assert client.get(policy_url).status_code == 200
    assert client.post(policy_url, {"cost_per_extra_party": "3"}).status_code == 403
    policy.refresh_from_db()
    assert str(policy.cost_per_extra_party) == "1.00"
