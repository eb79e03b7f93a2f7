"""`techalign lint --since`: CI of recent changes lints only the requirements changed since the
mark (any audited write to them), and reports only their findings dated since then."""

import datetime as dt
import json

import pytest
from django.core.management import ManagementUtility
from django.utils import timezone

from techalign.audit.models import AuditEvent
from techalign.health.clock import clock_at
from techalign.health.management.commands.lint import moment
from techalign.health.selectors import CLOCK_SKEW, changed_since
from techalign.requirements import services as requirements
from tests.factories import advance
from tests.health.test_lint import _production_change, lint


def test_since_lints_only_requirements_changed_after_the_mark(w):
    untouched = advance(w, "finalized")
    _production_change(w, untouched)
    touched = advance(w, "finalized")
    _production_change(w, touched)
    mark = timezone.now()
    fresh = advance(w, "finalized")
    _production_change(w, fresh)
    # Ming marks the older requirement high-risk after the mark: it is changed, not newly found.
    requirements.mark_high_risk(
        requirement=touched, actor=w.ming, risk="money", reason="涉及退款金额"
    )

    code, out = lint("--since", mark.isoformat(), "--format", "json", "--language", "en")

    body = json.loads(out)
    assert code == 1
    assert body["requirements_checked"] == 2  # fresh and touched; untouched is not read
    assert [(f["requirement"], f["code"]) for f in body["findings"]] == [(fresh.key, "TA113")]
    assert untouched.key not in out and touched.key not in out


def test_without_a_change_since_the_mark_nothing_is_checked(w):
    _production_change(w, advance(w, "finalized"))
    assert lint("--since", "0m") == (0, "0 error(s), 0 warning(s) in 0 requirement(s)\n")
    # The whole organisation still sees the error.
    assert lint()[0] == 1


def test_a_duration_reaches_back_from_now(w):
    _production_change(w, advance(w, "finalized"))
    code, out = lint("--since", "1h", "--language", "en")
    assert code == 1
    assert out.endswith("1 error(s), 0 warning(s) in 1 requirement(s)\n")


def test_an_event_found_behind_one_stamped_by_a_slower_clock(w):
    """Changes are read back from the head of the chain: an event that another server's clock
    stamped a minute early must not stop the walk before the events just behind it."""
    old = advance(w, "draft")
    other = advance(w, "draft")
    mark = timezone.now()
    requirements.mark_high_risk(requirement=old, actor=w.ming, risk="money", reason="涉及退款金额")
    with clock_at(mark - dt.timedelta(minutes=1)):
        requirements.mark_high_risk(
            requirement=other, actor=w.ming, risk="money", reason="涉及退款金额"
        )
    head = AuditEvent.objects.order_by("-seq").first()
    assert head.requirement_id == other.pk and head.occurred_at < mark
    assert dt.timedelta(minutes=1) < CLOCK_SKEW
    assert set(changed_since(mark).values_list("requirement_id", flat=True)) == {old.pk}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", dt.datetime(2026, 12, 1)),
        ("2026-12-01T09:30", dt.datetime(2026, 12, 1, 9, 30)),
    ],
)
def test_dates_and_times_are_local_unless_zoned(text, expected):
    assert moment(text) == timezone.make_aware(expected)
    assert moment("2026-12-01T09:30+00:00") == dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def test_a_bad_since_exits_2_naming_the_accepted_forms(capsys):
    with pytest.raises(SystemExit) as raised:
        ManagementUtility(["techalign", "lint", "--since", "yesterday"]).execute()
    assert raised.value.code == 2
    assert "a duration back from now (90m, 24h, 7d, 2w)" in capsys.readouterr().err
