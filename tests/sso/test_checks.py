"""A bad sign-in setting is reported by Django's checks, before anyone tries to sign in."""

from __future__ import annotations

from techalign.sso.checks import sign_in_configuration


def messages(settings) -> list[str]:
    return [error.msg for error in sign_in_configuration(None)]


def test_the_default_configuration_passes(settings):
    assert messages(settings) == []


def test_a_bad_group_mapping_is_named(settings):
    settings.TECHALIGN_OIDC_GROUP_ROLES = "devs=order:CHIEF"
    assert messages(settings) == [
        "TECHALIGN_OIDC_GROUP_ROLES: 'devs=order:CHIEF': role 'CHIEF' is not one of "
        "PM, DEV, TECH_LEAD, ARCHITECT, ADMIN"
    ]


def test_a_client_without_a_provider_is_reported(settings):
    settings.OIDC_RP_CLIENT_ID = "techalign"
    assert messages(settings) == [
        "TECHALIGN_OIDC_CLIENT_ID is set but neither TECHALIGN_OIDC_ISSUER nor the endpoints are"
    ]


def test_ldap_group_roles_without_a_group_search_are_reported(settings):
    settings.TECHALIGN_LDAP_GROUP_ROLES = "devs=order:DEV"
    assert len(messages(settings)) == 1
