"""Personal API tokens: issued once, stored as a digest, refused when revoked or expired."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from techalign.audit.models import AuditEvent
from techalign.audit.services import verify_chain
from techalign.core.errors import Refused
from techalign.org.models import ApiToken, Role
from techalign.org.services import issue_token, revoke_token, user_for_token
from tests.factories import grant


def test_issued_token_authenticates_its_user(w):
    token, raw = issue_token(actor=w.ming, user=w.ming, name="laptop")

    assert raw.startswith("ta_")
    assert user_for_token(raw) == w.ming
    assert token.name == "laptop"
    assert token.expires_at - timezone.now() == pytest.approx(
        dt.timedelta(days=90), abs=dt.timedelta(minutes=1)
    )


def test_only_the_digest_and_prefix_are_kept(w):
    token, raw = issue_token(actor=w.ming, user=w.ming)

    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert stored["digest"] == hashlib.sha256(raw.encode()).hexdigest()
    assert stored["prefix"] == raw[:10]
    assert all(raw not in str(value) for value in stored.values())
    event = AuditEvent.objects.get(action="token.issued", target_id=str(token.pk))
    assert raw not in str(event.summary)
    assert event.summary["prefix"] == raw[:10]
    assert event.actor == w.ming


def test_unknown_or_malformed_tokens_authenticate_nobody(w):
    _, raw = issue_token(actor=w.ming, user=w.ming)

    assert user_for_token(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert user_for_token(raw.removeprefix("ta_")) is None
    assert user_for_token("") is None


def test_revoked_token_authenticates_nobody(w):
    token, raw = issue_token(actor=w.ming, user=w.ming)

    revoke_token(actor=w.ming, token=token)

    assert user_for_token(raw) is None
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="token.revoked", target_id=str(token.pk)).count() == 1


def test_revoking_twice_changes_nothing(w):
    token, _ = issue_token(actor=w.ming, user=w.ming)
    first = revoke_token(actor=w.ming, token=token).revoked_at

    again = revoke_token(actor=w.ming, token=ApiToken.objects.get(pk=token.pk))

    assert again.revoked_at == first
    assert AuditEvent.objects.filter(action="token.revoked").count() == 1


def test_expired_token_authenticates_nobody(w):
    token, raw = issue_token(actor=w.ming, user=w.ming, expires_in_days=1)
    # The day has passed.
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert user_for_token(raw) is None


def test_token_without_expiry_keeps_working(w):
    token, raw = issue_token(actor=w.ming, user=w.ming, expires_in_days=None)

    assert token.expires_at is None
    assert user_for_token(raw) == w.ming


def test_token_of_deactivated_user_authenticates_nobody(w):
    _, raw = issue_token(actor=w.ming, user=w.ming)
    w.ming.is_active = False
    w.ming.save(update_fields=["is_active"])

    assert user_for_token(raw) is None


def test_no_token_is_issued_to_a_deactivated_user(w):
    w.ming.is_active = False
    w.ming.save(update_fields=["is_active"])

    with pytest.raises(Refused) as refused:
        issue_token(actor=None, user=w.ming)

    assert refused.value.code == "token.user_inactive"
    assert not ApiToken.objects.exists()


def test_lifetime_must_be_at_least_a_day(w):
    with pytest.raises(Refused) as refused:
        issue_token(actor=w.ming, user=w.ming, expires_in_days=0)

    assert refused.value.code == "input.invalid"
    assert not ApiToken.objects.exists()


def test_last_use_is_recorded_at_most_once_a_minute(w):
    token, raw = issue_token(actor=w.ming, user=w.ming)

    user_for_token(raw)
    first_use = ApiToken.objects.get(pk=token.pk).last_used_at
    user_for_token(raw)

    assert first_use is not None
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first_use

    two_minutes_ago = timezone.now() - dt.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=two_minutes_ago)
    user_for_token(raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > two_minutes_ago


def test_nobody_issues_tokens_for_someone_else(w):
    with pytest.raises(Refused) as refused:
        issue_token(actor=w.charlie, user=w.ming)

    assert refused.value.code == "token.not_owner"
    assert refused.value.status == 403
    assert not ApiToken.objects.exists()


def test_nobody_revokes_someone_elses_token_and_the_attempt_is_audited(w):
    token, raw = issue_token(actor=w.ming, user=w.ming)

    with pytest.raises(Refused) as refused:
        revoke_token(actor=w.charlie, token=token)

    assert refused.value.code == "token.not_owner"
    assert user_for_token(raw) == w.ming
    attempt = AuditEvent.objects.get(action="token.revoked")
    assert attempt.outcome == AuditEvent.Outcome.REFUSED
    assert attempt.actor == w.charlie
    assert verify_chain()[1] is None


def test_an_administrator_issues_and_revokes_for_others(w):
    grant(w.arch, w.committee, Role.ADMIN)

    token, raw = issue_token(actor=w.arch, user=w.ming)
    assert user_for_token(raw) == w.ming
    revoke_token(actor=w.arch, token=token)
    assert user_for_token(raw) is None


def test_token_command_creates_lists_and_revokes(w, capsys):
    call_command("token", "create", "ming", "--name", "ci", "--days", "7")
    raw = capsys.readouterr().out.strip()
    assert user_for_token(raw) == w.ming

    call_command("token", "list", "ming")
    listing = capsys.readouterr().out
    assert raw[:10] in listing
    assert raw not in listing
    assert "active" in listing

    call_command("token", "revoke", raw[:10])
    assert "Revoked" in capsys.readouterr().out
    assert user_for_token(raw) is None


def test_token_command_names_an_unknown_user_or_prefix(w):
    with pytest.raises(CommandError, match="nobody"):
        call_command("token", "create", "nobody")
    with pytest.raises(CommandError, match="ta_missing"):
        call_command("token", "revoke", "ta_missing")
