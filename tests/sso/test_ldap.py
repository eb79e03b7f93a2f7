"""Sign-in with the company directory's password, against Debian's slapd on loopback holding
directory.ldif: people found by a search, their groups mapped to team roles."""

from __future__ import annotations

from techalign.audit.models import AuditEvent
from techalign.org.models import Membership, Role, User

LOGIN = "/accounts/login/"


def sign_in(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_a_directory_password_signs_in_and_creates_the_person_with_group_roles(
    client, w, directory_sign_in
):
    response = sign_in(client, "yan", "yan-directory-password")
    assert response.status_code == 302 and response["Location"] == "/"

    yan = User.objects.get(username="yan")
    assert (yan.email, yan.display_name) == ("yan@corp.example", "Yan Ping")
    assert not yan.has_usable_password()  # the directory keeps the password
    roles = set(Membership.objects.filter(user=yan).values_list("team__code", "role"))
    assert roles == {("order", Role.DEV), ("committee", Role.ARCHITECT)}
    assert AuditEvent.objects.filter(action="role.granted", summary__user="yan").count() == 2
    assert client.get("/").status_code == 200


def test_a_wrong_directory_password_signs_nobody_in(client, w, directory_sign_in):
    response = sign_in(client, "yan", "not-the-password")
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    assert not User.objects.filter(username="yan").exists()


def test_directory_groups_grant_and_take_the_mapped_roles_of_an_existing_person(
    client, w, directory_sign_in
):
    """fang is an order DEV in techalign; the directory now puts her in payments-pms only."""
    Membership.objects.create(user=w.fang, team=w.elsewhere, role=Role.PM)  # not mapped: stays
    response = sign_in(client, "fang", "fang-directory-password")
    assert response.status_code == 302

    roles = set(Membership.objects.filter(user=w.fang).values_list("team__code", "role"))
    assert roles == {("payments", Role.PM), ("marketing", Role.PM)}
    revoked = AuditEvent.objects.get(action="role.revoked", summary__user="fang")
    assert revoked.summary == {"user": "fang", "team": "order", "role": Role.DEV}
    w.fang.refresh_from_db()
    assert w.fang.display_name == "Fang Directory"


def test_local_passwords_off_still_lets_directory_passwords_in(
    client, w, directory_sign_in, settings
):
    settings.TECHALIGN_LOCAL_PASSWORDS = False
    assert sign_in(client, "yan", "yan-directory-password").status_code == 302


def test_a_deactivated_person_with_the_right_directory_password_is_told_so(
    client, w, directory_sign_in
):
    User.objects.filter(pk=w.fang.pk).update(is_active=False)
    response = sign_in(client, "fang", "fang-directory-password")
    assert response.status_code == 200
    assert "Fang Directory is deactivated in techalign" in response.content.decode()
    assert set(Membership.objects.filter(user=w.fang).values_list("team__code", "role")) == {
        ("order", Role.DEV)
    }
