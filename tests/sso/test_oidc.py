"""Single sign-on in real Chromium against a real OpenID provider (npm's oidc-provider) on
loopback: the provider's own development login form, the code flow with PKCE, the claims."""

from __future__ import annotations

import os

import pytest
import requests

from techalign.audit.models import AuditEvent
from techalign.org.models import Membership, Role, User
from tests.factories import world

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


@pytest.fixture
def w(transactional_db):
    return world()


def sign_in_at_provider(browser, base_url: str, login: str):
    """Click the company sign-in button, sign in on the provider's form, come back."""
    context = browser.new_context(base_url=base_url, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.click("#company-sign-in")
    page.wait_for_url(lambda url: not url.startswith(base_url))
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password: the development form checks none")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.startswith(base_url))
    page.wait_for_load_state()
    return context, page


def test_the_sign_in_page_offers_the_company_account_only_when_configured(
    browser, live_server, w, settings, oidc_provider
):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.goto("/accounts/login/")
    assert page.locator("#company-sign-in").count() == 0
    assert page.goto("/oidc/authenticate/").status == 404
    settings.TECHALIGN_OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_RP_CLIENT_ID = "techalign"
    settings.LANGUAGE_CODE = "zh-hans"
    page.goto("/accounts/login/")
    assert page.locator("#company-sign-in").inner_text() == "使用公司账号登录"
    context.close()


def test_first_company_sign_in_creates_the_person_with_the_roles_of_their_groups(
    browser, live_server, w, company_sign_in
):
    context, page = sign_in_at_provider(browser, live_server.url, "yan")
    assert "/accounts/login/" not in page.url
    assert "Yan Ping" in page.content()

    yan = User.objects.get(username="yan")
    assert (yan.email, yan.display_name, yan.has_usable_password()) == (
        "yan@corp.example",
        "Yan Ping",
        False,
    )
    roles = set(Membership.objects.filter(user=yan).values_list("team__code", "role"))
    assert roles == {("order", Role.DEV), ("committee", Role.ARCHITECT)}
    granted = AuditEvent.objects.filter(action="role.granted", summary__user="yan")
    assert granted.count() == 2
    assert AuditEvent.objects.filter(action="user.saved", summary__username="yan").exists()
    context.close()


def test_company_sign_in_links_a_person_by_verified_email_and_follows_their_groups(
    browser, live_server, w, company_sign_in
):
    """fang's company account has her techalign e-mail; its groups now say payments PM, not
    order DEV (a mapped role she held): the next sign-in grants one and takes the other."""
    User.objects.filter(pk=w.fang.pk).update(email="Fang@corp.example")
    Membership.objects.filter(user=w.fang, team=w.order, role=Role.DEV).delete()
    Membership.objects.create(user=w.fang, team=w.order, role=Role.DEV)
    Membership.objects.create(user=w.fang, team=w.elsewhere, role=Role.PM)  # not mapped: stays

    context, page = sign_in_at_provider(browser, live_server.url, "fang")
    assert "/accounts/login/" not in page.url

    assert not User.objects.filter(username="fang.corp").exists()
    roles = set(Membership.objects.filter(user=w.fang).values_list("team__code", "role"))
    assert roles == {("payments", Role.PM), ("marketing", Role.PM)}
    assert AuditEvent.objects.filter(action="role.revoked", summary__user="fang").count() == 1
    context.close()


def test_an_unverified_email_does_not_take_over_a_person(browser, live_server, w, company_sign_in):
    User.objects.filter(pk=w.ming.pk).update(email="ming@corp.example")
    context, page = sign_in_at_provider(browser, live_server.url, "mallory")
    assert "/accounts/login/" in page.url
    alert = page.get_by_role("alert").inner_text()
    assert "e-mail ming@corp.example is not verified" in alert
    assert not User.objects.filter(username="mallory").exists()
    assert set(Membership.objects.filter(user=w.ming).values_list("role", flat=True)) == {"PM"}
    context.close()


def test_a_deactivated_person_is_refused_with_the_reason(browser, live_server, w, company_sign_in):
    User.objects.filter(pk=w.charlie.pk).update(email="charlie@corp.example", is_active=False)
    context, page = sign_in_at_provider(browser, live_server.url, "charlie")
    assert "/accounts/login/" in page.url
    assert "charlie is deactivated in techalign" in page.get_by_role("alert").inner_text()
    assert page.goto("/").url.endswith("/accounts/login/?next=/")
    context.close()


def test_explicit_endpoints_work_without_an_issuer(
    browser, live_server, w, company_sign_in, settings
):
    endpoints = requests.get(
        company_sign_in.issuer + "/.well-known/openid-configuration", timeout=10
    ).json()
    settings.TECHALIGN_OIDC_ISSUER = ""
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = endpoints["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = endpoints["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = endpoints["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = endpoints["jwks_uri"]
    context, page = sign_in_at_provider(browser, live_server.url, "yan")
    assert "/accounts/login/" not in page.url
    assert User.objects.filter(username="yan", email="yan@corp.example").exists()
    context.close()
