"""After finalizing: baselines and their differences, change requests, schedule milestones, and
the requirement's audit trail."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone

from techalign.audit import activity
from techalign.core.http import SignedInRequest, whole_number
from techalign.meetings.selectors import waivers_by_baseline
from techalign.org.models import OrgPolicy, Team
from techalign.plans import permissions as can
from techalign.plans import selectors as plans
from techalign.plans import services
from techalign.plans.models import Baseline, ChangeRequest, Milestone, Phase, SignOff
from techalign.web import forms
from techalign.web.diff import diff_content
from techalign.web.views.common import Screen, action, page, render_page, section

page("baseline", "web/baseline/baseline.html")
page("activity", "web/baseline/activity.html")


@login_required
def baseline_page(request: SignedInRequest, key: str) -> HttpResponse:
    return render_page(request, Screen(request, key), "baseline")


@login_required
def activity_page(request: SignedInRequest, key: str) -> HttpResponse:
    return render_page(request, Screen(request, key), "activity")


@section("baselines", "web/baseline/_baselines.html", page="baseline")
def baselines_section(screen: Screen) -> dict[str, Any]:
    baselines = list(
        Baseline.objects.filter(requirement=screen.requirement)
        .select_related("finalized_by", "revision", "change_request")
        .order_by("-version")
    )
    # Every party's standing sign-off when the baseline was made, some on earlier revisions.
    signers: dict[int, list[SignOff]] = {}
    links = (
        Baseline.signoffs.through.objects.filter(baseline__in=baselines)
        .select_related("signoff__team", "signoff__signer", "signoff__revision")
        .defer("signoff__revision__content")
    )
    for link in links.order_by("signoff__team__code", "signoff__role"):
        signers.setdefault(link.baseline_id, []).append(link.signoff)
    waivers = waivers_by_baseline(screen.requirement, baselines)
    by_version = {b.version: b for b in baselines}
    get = screen.request.GET
    newest = baselines[0].version if baselines else 0
    a = whole_number(get.get("a")) or max(newest - 1, 1)
    b = whole_number(get.get("b")) or newest
    diff = None
    if a in by_version and b in by_version and a != b:
        diff = diff_content(by_version[a].revision.content, by_version[b].revision.content)
    return {
        "baselines": [
            {
                "baseline": bl,
                "signers": signers.get(bl.pk, []),
                "waivers": waivers[bl.pk],
            }
            for bl in baselines
        ],
        "baseline_a": a,
        "baseline_b": b,
        "baseline_diff": diff,
    }


def _party_teams(screen: Screen) -> QuerySet[Team]:
    return Team.objects.filter(
        pk__in={screen.requirement.lead_team_id, *plans.party_team_ids(screen.requirement)}
    )


def _change_form_options(screen: Screen) -> dict[str, Any]:
    """What the change request form offers: the parties, the scenarios and the baselined
    items a root cause may name, and the phase the milestones propose today."""
    requirement = screen.requirement
    baseline = plans.latest_baseline(requirement)
    return {
        "teams": _party_teams(screen),
        "scenarios": requirement.scenarios.filter(is_withdrawn=False).order_by("number"),
        "item_keys": [item.key for item in baseline.revision.items.all()] if baseline else [],
        "proposed": plans.proposed_phase(requirement, timezone.localdate()),
    }


@section("changes", "web/baseline/_changes.html", page="baseline")
def changes_section(screen: Screen) -> dict[str, Any]:
    requirement = screen.requirement
    changes = list(
        requirement.change_requests.select_related("opened_by", "base_baseline", "cause_team")
        .prefetch_related("affected_teams")
        .order_by("-number")
    )
    can_open = can.can_open_change_request(screen.user, requirement)
    policy = OrgPolicy.objects.filter(pk=1).first() or OrgPolicy()
    return {
        "changes": changes,
        "withdrawable": {c.pk for c in changes if can.can_withdraw_change_request(screen.user, c)},
        "can_open_change": can_open,
        "change_form": forms.ChangeRequestForm(**_change_form_options(screen))
        if can_open
        else None,
        "cost_curve": [(label, policy.cost_weight(value)) for value, label in Phase.choices],
        "total_cost": sum(
            c.cost_weight for c in changes if c.status != ChangeRequest.Status.WITHDRAWN
        ),
    }


@section("milestones", "web/baseline/_milestones.html", page="baseline")
def milestones_section(screen: Screen) -> dict[str, Any]:
    teams = can.milestone_teams(screen.user, screen.requirement)
    milestones = list(
        screen.requirement.milestones.select_related("team", "updated_by").order_by(
            "team__code", "due_on"
        )
    )
    by_team: dict[int, dict[str, Any]] = {}
    for milestone in milestones:
        by_team.setdefault(milestone.team_id, {"team": milestone.team, "rows": []})
        by_team[milestone.team_id]["rows"].append(milestone)
    return {
        "milestone_groups": list(by_team.values()),
        "milestone_kinds": Milestone.Kind.choices,
        "milestone_form": forms.MilestoneForm(
            teams=Team.objects.filter(pk__in=[t.pk for t in teams])
        )
        if teams
        else None,
    }


ACTIVITY_PAGE = 100


@section("activity", "web/baseline/_activity.html", page="activity")
def activity_section(screen: Screen) -> dict[str, Any]:
    """One page of the requirement's events, newest first; `before` (an event's seq) pages to
    older ones, keeping the kind filter."""
    get = screen.request.GET
    kind = get.get("kind", "") if get.get("kind", "") in activity.KINDS else ""
    before = whole_number(get.get("before"))
    entries = activity.requirement_activity(
        screen.requirement, kind=kind, limit=ACTIVITY_PAGE + 1, before=before
    )
    older = ""
    if len(entries) > ACTIVITY_PAGE:
        entries = entries[:ACTIVITY_PAGE]
        older = "?" + urlencode(
            {**({"kind": kind} if kind else {}), "before": entries[-1].event.seq}
        )
    return {
        "entries": entries,
        "activity_kinds": list(activity.KINDS.items()),
        "activity_kind": kind,
        "older_url": older,
        "newest_url": ("?" + urlencode({"kind": kind}) if kind else "?") if before else "",
    }


@action("open_change", section="changes")
def open_change(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.ChangeRequestForm, "change_form", **_change_form_options(screen))
    services.open_change_request(
        requirement=screen.requirement,
        actor=screen.user,
        title=data["title"],
        reason=data["reason"],
        phase_found=data["phase_found"],
        phase_reason=data["phase_reason"],
        affected_teams=list(data["affected_teams"]),
        root_cause=data["root_cause"] or None,
        cause_scenario_key=data["cause_scenario_key"],
        cause_item_key=data["cause_item_key"],
        cause_team=data["cause_team"],
    )


@action("withdraw_change", section="changes")
def withdraw_change(screen: Screen, ref: str | None) -> None:
    change = plans.access_change_request(screen.requirement, ref)
    services.withdraw_change_request(change=change, actor=screen.user)


@action("set_milestone", section="milestones")
def set_milestone(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.MilestoneForm, "milestone_form", teams=Team.objects.all())
    services.set_milestone(requirement=screen.requirement, actor=screen.user, **data)
