"""The administrators' screens: teams, roles, people and components, changed in the app."""

from __future__ import annotations

import pytest

from techalign.audit.models import AuditEvent
from techalign.org.models import Component, Membership, Role, Team, User
from tests.factories import grant, make_user


@pytest.fixture
def admin(w) -> User:
    return grant(make_user("ada", display_name="Ada"), w.committee, Role.ADMIN)


def test_an_administrator_adds_a_team_and_grants_a_role(w, admin, as_user):
    browser = as_user(admin, "zh-hans")

    created = browser.post(
        "/manage/",
        {"form": "team", "code": "risk", "name": "风控组", "department": w.order.department_id},
    )
    assert created.status_code == 302
    assert created["Location"] == "/manage/teams/risk/"
    team = Team.objects.get(code="risk")
    assert team.name == "风控组"

    granted = browser.post(
        "/manage/teams/risk/", {"form": "grant", "username": w.jun.username, "role": Role.DEV}
    )
    assert granted.status_code == 302
    page = browser.get("/manage/teams/risk/")
    assert "已保存" in page.content.decode()
    assert Membership.objects.filter(user=w.jun, team=team, role=Role.DEV).exists()
    actions = list(
        AuditEvent.objects.filter(actor=admin).order_by("seq").values_list("action", flat=True)
    )
    assert actions == ["team.saved", "role.granted"]


def test_removing_a_role_is_audited_and_the_last_administrator_stays(w, admin, as_user):
    browser = as_user(admin)
    lei_dev = Membership.objects.get(user=w.lei, team=w.order, role=Role.DEV)

    removed = browser.post(
        f"/manage/teams/{w.order.code}/", {"form": "revoke", "membership": lei_dev.pk}
    )
    assert removed.status_code == 302
    assert not Membership.objects.filter(pk=lei_dev.pk).exists()
    assert AuditEvent.objects.filter(action="role.revoked", actor=admin).count() == 1

    own = Membership.objects.get(user=admin, role=Role.ADMIN)
    refused = browser.post(
        f"/manage/teams/{w.committee.code}/", {"form": "revoke", "membership": own.pk}
    )
    assert refused.status_code == 409
    assert "last administrator" in refused.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()


def test_a_component_changes_owner_and_a_new_one_is_added(w, admin, as_user):
    browser = as_user(admin)

    changed = browser.post(
        "/manage/components/",
        {
            "form": "component",
            "editing": w.ledger.key,
            "key": "ignored-on-edit",
            "name": "Ledger",
            "kind": Component.Kind.SERVICE,
            "owner_team": w.payments.pk,
            "description": "",
        },
    )
    assert changed.status_code == 302
    w.ledger.refresh_from_db()
    assert (w.ledger.key, w.ledger.owner_team) == ("ledger", w.payments)

    edit_form = browser.get(f"/manage/components/?edit={w.ledger.key}").content.decode()
    assert f'name="editing" value="{w.ledger.key}"' in edit_form

    duplicate = browser.post(
        "/manage/components/",
        {
            "form": "component",
            "key": w.ledger.key,
            "name": "Another",
            "kind": Component.Kind.API,
            "owner_team": w.order.pk,
        },
    )
    assert duplicate.status_code == 422
    assert "already used" in duplicate.content.decode()
    assert Component.objects.filter(key=w.ledger.key).count() == 1


def test_a_person_is_added_then_deactivated_but_not_oneself(w, admin, as_user):
    browser = as_user(admin)

    browser.post(
        "/manage/people/",
        {"form": "person", "username": "newdev", "display_name": "新同学", "is_active": "on"},
    )
    person = User.objects.get(username="newdev")
    assert person.is_active and not person.has_usable_password()

    browser.post(
        "/manage/people/newdev/", {"form": "person", "username": "newdev", "display_name": "新同学"}
    )
    person.refresh_from_db()
    assert not person.is_active
    assert "newdev" in browser.get("/manage/people/?q=newd").content.decode()

    refused = browser.post(
        "/manage/people/ada/", {"form": "person", "username": "ada", "display_name": "Ada"}
    )
    assert refused.status_code == 409
    admin.refresh_from_db()
    assert admin.is_active


@pytest.mark.parametrize(
    "path", ["/manage/", "/manage/teams/order/", "/manage/people/", "/manage/components/"]
)
def test_people_who_are_not_administrators_are_refused_with_the_reason(w, as_user, path):
    browser = as_user(w.qiang, "zh-hans")

    shown = browser.get(path)
    posted = browser.post(path, {"form": "team", "code": "x", "name": "x", "department": 1})

    assert shown.status_code == posted.status_code == 403
    assert "管理员" in shown.content.decode()
    assert not Team.objects.filter(code="x").exists()


def test_an_unknown_team_or_person_is_not_found(w, admin, as_user):
    browser = as_user(admin)

    assert browser.get("/manage/teams/nope/").status_code == 404
    assert browser.get("/manage/people/nobody/").status_code == 404
    assert browser.get("/manage/components/?edit=nope").status_code == 404
    assert (
        browser.post(f"/manage/teams/{w.order.code}/", {"form": "revoke", "membership": "x"})
    ).status_code == 404


def test_the_edit_forms_show_what_is_stored_and_save_unchanged_without_a_change(w, admin, as_user):
    browser = as_user(admin, "zh-hans")
    team_page = browser.get(f"/manage/teams/{w.order.code}/").content.decode()
    person_page = browser.get(f"/manage/people/{w.lei.username}/").content.decode()
    component_form = browser.get(f"/manage/components/?edit={w.ledger.key}").content.decode()

    assert f'value="{w.order.name}"' in team_page
    assert f'value="{w.lei.username}"' in person_page
    assert f'value="{w.ledger.name}"' in component_form
    before = AuditEvent.objects.count()
    browser.post(
        f"/manage/teams/{w.order.code}/",
        {
            "form": "team",
            "code": w.order.code,
            "name": w.order.name,
            "department": w.order.department_id,
        },
    )
    browser.post(
        f"/manage/people/{w.lei.username}/",
        {
            "form": "person",
            "username": w.lei.username,
            "display_name": w.lei.display_name,
            "email": w.lei.email,
            "is_active": "on",
        },
    )
    assert AuditEvent.objects.count() == before


def test_a_new_team_or_person_with_a_code_in_use_is_refused_and_the_existing_one_kept(
    w, admin, as_user
):
    browser = as_user(admin, "zh-hans")

    team = browser.post(
        "/manage/",
        {"form": "team", "code": w.order.code, "name": "改名", "department": w.order.department_id},
    )
    person = browser.post(
        "/manage/people/", {"form": "person", "username": w.lei.username, "display_name": "x"}
    )

    assert team.status_code == person.status_code == 422
    assert "已被使用" in team.content.decode()
    w.order.refresh_from_db()
    w.lei.refresh_from_db()
    assert w.order.name != "改名" and w.lei.display_name != "x"
