"""Who is asking and which roles they hold is read in one query on every request, so each change
to a person's access counts on their very next request: nothing is cached between requests."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from techalign.org.models import Role
from techalign.org.services import grant_role, issue_token, revoke_role, revoke_token, save_user
from techalign.requirements import services as requirements
from tests.factories import make_user

LOCAL_PASSWORDS = "techalign.sso.backends.LocalPasswordBackend"


class TokenClient:
    """One persona's bearer token, kept so a test can revoke it."""

    def __init__(self, user):
        self.token, raw = issue_token(actor=None, user=user)
        self.client = Client(headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"})

    def get(self, path: str):
        return self.client.get("/api/v1" + path)

    def post(self, path: str, body: dict):
        return self.client.post("/api/v1" + path, body, content_type="application/json")


def _admin():
    return make_user("root", is_superuser=True, is_staff=True)


def _roles(response) -> set[tuple[str, str]]:
    assert response.status_code == 200, response.content
    return {(m["team"], m["role"]) for m in response.json()["memberships"]}


def test_the_token_its_person_and_their_roles_cost_one_query(w):
    """Measured on a request whose answer reads no roles itself: a requirement not modified."""
    requirement = requirements.create_requirement(actor=w.ming, lead_team=w.order, title="对账")
    lei = TokenClient(w.lei)
    tag = lei.get(f"/requirements/{requirement.key}")["ETag"]  # also records the token's use
    with CaptureQueriesContext(connection) as queries:
        unchanged = lei.client.get(
            f"/api/v1/requirements/{requirement.key}", headers={"If-None-Match": tag}
        )
    assert unchanged.status_code == 304
    who = [q["sql"] for q in queries if "org_apitoken" in q["sql"] or "org_membership" in q["sql"]]
    assert len(who) == 1 and "org_apitoken" in who[0] and "org_membership" in who[0]


def test_a_revoked_token_is_refused_on_the_next_request(w):
    lei = TokenClient(w.lei)
    assert lei.get("/me").status_code == 200
    revoke_token(actor=w.lei, token=lei.token)
    refused = lei.get("/me")
    assert refused.status_code == 401 and refused.json()["code"]


def test_a_deactivated_person_is_refused_on_the_next_request_by_token_and_by_session(w):
    lei = TokenClient(w.lei)
    browser = Client()
    browser.force_login(w.lei, backend=LOCAL_PASSWORDS)
    assert lei.get("/me").status_code == 200
    assert browser.get("/api/v1/me").status_code == 200
    save_user(actor=_admin(), username="lei", display_name="", email="", is_active=False)
    assert lei.get("/me").status_code == 401
    assert browser.get("/api/v1/me").status_code == 401


def test_a_role_granted_or_taken_counts_on_the_next_request(w):
    admin = _admin()
    charlie, ming = TokenClient(w.charlie), TokenClient(w.ming)
    draft = {"lead_team": "order", "title": "发票抬头"}
    assert charlie.post("/requirements", draft).status_code == 403
    assert ming.post("/requirements", draft).status_code == 201

    grant_role(actor=admin, user=w.charlie, team=w.order, role=Role.PM)
    revoke_role(actor=admin, user=w.ming, team=w.order, role=Role.PM)

    assert ("order", "PM") in _roles(charlie.get("/me"))
    assert charlie.post("/requirements", draft).status_code == 201
    assert ("order", "PM") not in _roles(ming.get("/me"))
    refused = ming.post("/requirements", draft)
    assert refused.status_code == 403 and refused.json()["code"] == "role.not_allowed"


def test_a_move_to_another_team_counts_on_the_next_request(w):
    """fang, a DEV of the order team, sees its private requirement until moved to marketing."""
    private = requirements.create_requirement(
        actor=w.ming, lead_team=w.order, title="内部对账", lead_dev=w.lei, is_private=True
    )
    fang = TokenClient(w.fang)
    assert fang.get(f"/requirements/{private.key}").status_code == 200
    admin = _admin()
    revoke_role(actor=admin, user=w.fang, team=w.order, role=Role.DEV)
    grant_role(actor=admin, user=w.fang, team=w.elsewhere, role=Role.DEV)
    assert _roles(fang.get("/me")) == {("marketing", "DEV")}
    assert fang.get(f"/requirements/{private.key}").status_code == 404


def test_a_changed_password_ends_other_sessions_on_their_next_request(w):
    browser = Client()
    browser.force_login(w.lei, backend=LOCAL_PASSWORDS)
    assert browser.get("/api/v1/me").status_code == 200
    w.lei.set_password("a-new-long-passphrase")
    w.lei.save()
    assert browser.get("/api/v1/me").status_code == 401
