"""TECHALIGN_LOCAL_PASSWORDS=0: passwords kept in techalign stop working for everyone but
superusers, and the sign-in form says why instead of calling the password wrong."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY

from techalign.org.models import User
from tests.factories import make_user

LOGIN = "/accounts/login/"


def test_local_passwords_on_by_default_sign_a_persona_in(client, w):
    response = client.post(LOGIN, {"username": "ming", "password": "pw-ming"})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(w.ming.pk)


def test_local_passwords_off_refuse_a_persona_with_the_reason(client, w, settings):
    settings.TECHALIGN_LOCAL_PASSWORDS = False
    response = client.post(LOGIN, {"username": "ming", "password": "pw-ming"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Passwords kept in techalign are turned off; ming signs in with the company" in page
    assert "did not match" not in page
    assert SESSION_KEY not in client.session


def test_local_passwords_off_still_let_a_superuser_in(client, w, settings):
    settings.TECHALIGN_LOCAL_PASSWORDS = False
    make_user("root", is_superuser=True, is_staff=True)
    response = client.post(LOGIN, {"username": "root", "password": "pw-root"})
    assert response.status_code == 302


def test_local_passwords_off_a_wrong_password_is_still_just_wrong(client, w, settings):
    settings.TECHALIGN_LOCAL_PASSWORDS = False
    make_user("root", is_superuser=True, is_staff=True)
    response = client.post(LOGIN, {"username": "root", "password": "nope"})
    assert "did not match" in response.content.decode()


def test_the_reason_reads_in_chinese(client, w, settings):
    settings.TECHALIGN_LOCAL_PASSWORDS = False
    settings.LANGUAGE_CODE = "zh-hans"
    response = client.post(LOGIN, {"username": "ming", "password": "pw-ming"})
    assert "techalign 本地密码已停用；ming 请使用公司账号登录。" in response.content.decode()


def test_local_passwords_off_a_wrong_password_of_a_persona_gives_no_reason(client, w, settings):
    settings.TECHALIGN_LOCAL_PASSWORDS = False
    response = client.post(LOGIN, {"username": "ming", "password": "a guess"})
    page = response.content.decode()
    assert "did not match" in page
    assert "turned off" not in page


def test_a_deactivated_persona_with_the_right_password_is_told_so(client, w):
    User.objects.filter(pk=w.ming.pk).update(is_active=False)
    response = client.post(LOGIN, {"username": "ming", "password": "pw-ming"})
    assert "ming is deactivated in techalign" in response.content.decode()
    assert SESSION_KEY not in client.session
