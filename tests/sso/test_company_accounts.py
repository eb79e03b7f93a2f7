"""Which techalign person a company account signs in as, and every reason it may not."""

from __future__ import annotations

import pytest

from techalign.core.errors import Refused
from techalign.org.models import User
from techalign.sso.services import person_for_company_account


def person(**claims):
    values = {
        "username": "yan",
        "email": "yan@corp.example",
        "email_verified": True,
        "display_name": "Yan Ping",
        "source": "oidc",
    }
    return person_for_company_account(**{**values, **claims})


def refusal(**claims) -> Refused:
    with pytest.raises(Refused) as refused:
        person(**claims)
    return refused.value


def test_a_new_company_account_becomes_a_person_without_a_password(w):
    yan = person()
    assert (yan.username, yan.email, yan.display_name, yan.is_active) == (
        "yan",
        "yan@corp.example",
        "Yan Ping",
        True,
    )
    assert not yan.has_usable_password()


def test_a_verified_email_links_the_person_whatever_the_user_name_and_case(w):
    User.objects.filter(pk=w.lei.pk).update(email="lei@corp.example")
    assert person(username="lei.x", email="LEI@corp.example", display_name="Lei").pk == w.lei.pk
    w.lei.refresh_from_db()
    assert (w.lei.username, w.lei.email, w.lei.display_name) == ("lei", "lei@corp.example", "Lei")


def test_an_unverified_email_is_refused(w):
    User.objects.filter(pk=w.lei.pk).update(email="lei@corp.example")
    refused = refusal(email="lei@corp.example", email_verified=False)
    assert refused.code == "sso.email_unverified"
    assert "lei@corp.example" in refused.message
    assert not User.objects.filter(username="yan").exists()


def test_no_email_is_refused(w):
    assert refusal(email="").code == "sso.email_missing"


def test_a_deactivated_person_is_refused_and_stays_deactivated(w):
    User.objects.filter(pk=w.lei.pk).update(email="lei@corp.example", is_active=False)
    refused = refusal(email="lei@corp.example")
    assert (refused.code, refused.message) == (
        "sso.user_deactivated",
        "lei is deactivated in techalign; ask an administrator to reactivate.",
    )
    w.lei.refresh_from_db()
    assert not w.lei.is_active


def test_an_email_two_people_share_is_refused(w):
    User.objects.filter(pk__in=[w.lei.pk, w.fang.pk]).update(email="dev@corp.example")
    assert refusal(email="dev@corp.example").code == "sso.email_ambiguous"


def test_a_user_name_held_by_someone_else_is_refused(w):
    refused = refusal(username="lei")
    assert refused.code == "sso.username_taken"
    assert User.objects.get(username="lei").email == ""


def test_no_user_name_is_refused_for_a_new_person(w):
    assert refusal(username="").code == "sso.username_missing"
