"""Existing sign-offs keep their meaning: the capacity is DEV when the signer holds DEV in the
team (else PM), the section hash is computed from the signed revision's content with the
function the services use, and every baseline lists the sign-offs that completed it."""

from django.db import migrations

from techalign.plans.sections import section_hash


def fill(apps, schema_editor):
    SignOff = apps.get_model("plans", "SignOff")
    Baseline = apps.get_model("plans", "Baseline")
    Membership = apps.get_model("org", "Membership")
    devs = set(Membership.objects.filter(role="DEV").values_list("user_id", "team_id"))
    signoffs = SignOff.objects.select_related("revision__plan__requirement", "team")
    for signoff in signoffs.order_by("pk").iterator(chunk_size=500):
        revision = signoff.revision
        is_lead = signoff.team_id == revision.plan.requirement.lead_team_id
        SignOff.objects.filter(pk=signoff.pk).update(
            role="DEV" if (signoff.signer_id, signoff.team_id) in devs else "PM",
            section_hash=section_hash(revision.content, signoff.team.code, is_lead=is_lead),
        )
    # baseline id -> team id -> the sign-off ids that completed it
    linked: dict[int, dict[int, list[int]]] = {}
    baselines = Baseline.objects.select_related("revision", "requirement", "change_request")
    for baseline in baselines.order_by("requirement_id", "version"):
        # The party's latest decisions on the revision, per capacity; a rejection clears them.
        chosen: dict[int, dict[str, int]] = {}
        for signoff in SignOff.objects.filter(revision_id=baseline.revision_id).order_by(
            "created_at", "id"
        ):
            if signoff.decision == "approve":
                chosen.setdefault(signoff.team_id, {})[signoff.role] = signoff.pk
            else:
                chosen[signoff.team_id] = {}
        by_team = {team_id: list(roles.values()) for team_id, roles in chosen.items() if roles}
        if baseline.change_request_id:
            # Parties the change left untouched did not re-sign: their earlier sign-off stands.
            codes = {item["owner_team"] for item in baseline.revision.content.get("items", [])}
            base = baseline.change_request.base_baseline_id
            for team_id, signoff_ids in linked.get(base, {}).items():
                team_code = SignOff.objects.get(pk=signoff_ids[0]).team.code
                still_party = team_id == baseline.requirement.lead_team_id or team_code in codes
                if still_party and team_id not in chosen:
                    by_team[team_id] = signoff_ids
        linked[baseline.pk] = by_team
        Baseline.signoffs.through.objects.bulk_create(
            Baseline.signoffs.through(baseline_id=baseline.pk, signoff_id=signoff_id)
            for signoff_ids in by_team.values()
            for signoff_id in signoff_ids
        )


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0001_initial"),
        ("plans", "0004_signoff_role_section_hash"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
