"""The mapping from company groups to team roles, and what a sign-in does with it."""

from __future__ import annotations

import pytest

from techalign.audit.models import AuditEvent
from techalign.org.models import Membership, Role
from techalign.sso.services import parse_group_roles, roles_for_groups, sync_memberships


def test_a_mapping_reads_groups_teams_and_roles():
    mapping = parse_group_roles(
        " order-devs=order:dev , leads=order:TECH_LEAD,leads=pay:ARCHITECT,"
    )
    assert mapping == {
        "order-devs": (("order", Role.DEV),),
        "leads": (("order", Role.TECH_LEAD), ("pay", Role.ARCHITECT)),
    }


def test_an_empty_mapping_maps_nothing():
    assert parse_group_roles("") == {}


def test_a_group_name_may_itself_hold_an_equals_sign():
    assert parse_group_roles("cn=devs=order:DEV") == {"cn=devs": (("order", Role.DEV),)}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("order-devs", "is not group=team:ROLE"),
        ("order-devs=order", "is not group=team:ROLE"),
        ("=order:DEV", "is not group=team:ROLE"),
        ("order-devs=:DEV", "is not group=team:ROLE"),
        ("order-devs=order:OWNER", "role 'OWNER' is not one of PM, DEV"),
    ],
)
def test_a_bad_entry_is_named(text, problem):
    with pytest.raises(ValueError, match=problem) as error:
        parse_group_roles(text)
    assert repr(text) in str(error.value)


def test_groups_give_the_union_of_their_roles_and_unknown_groups_give_none():
    mapping = parse_group_roles("a=order:DEV,b=order:PM,b=pay:PM")
    assert roles_for_groups(["b", "a", "nobody"], mapping) == {
        ("order", Role.DEV),
        ("order", Role.PM),
        ("pay", Role.PM),
    }
    assert roles_for_groups([], mapping) == set()


def test_sync_grants_and_takes_only_the_mapped_roles(w):
    mapping = parse_group_roles("pay-pms=payments:PM,order-devs=order:DEV,ghosts=no-such-team:DEV")
    sync_memberships(user=w.lei, groups=["pay-pms", "ghosts"], mapping=mapping, source="oidc")
    roles = set(Membership.objects.filter(user=w.lei).values_list("team__code", "role"))
    assert roles == {("payments", Role.PM)}
    events = AuditEvent.objects.filter(summary__user="lei").order_by("seq")
    assert [(e.action, e.actor_id) for e in events] == [
        ("role.granted", None),
        ("role.revoked", None),
    ]


def test_sync_keeps_the_last_administrator(w):
    Membership.objects.create(user=w.qiang, team=w.committee, role=Role.ADMIN)
    mapping = parse_group_roles("admins=committee:ADMIN")
    sync_memberships(user=w.qiang, groups=[], mapping=mapping, source="ldap")
    assert Membership.objects.filter(user=w.qiang, role=Role.ADMIN).exists()


def test_sync_with_no_mapping_changes_nothing(w, django_assert_num_queries):
    with django_assert_num_queries(0):
        sync_memberships(user=w.lei, groups=["order-devs"], mapping={}, source="oidc")
