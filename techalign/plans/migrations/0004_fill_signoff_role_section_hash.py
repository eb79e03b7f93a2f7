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
    linked: dict[int, dict[int, int]] = {}  # baseline id -> team id -> sign-off id
    baselines = Baseline.objects.select_related("revision", "requirement", "change_request")
    for baseline in baselines.order_by("requirement_id", "version"):
        latest: dict[int, object] = {}
        for signoff in SignOff.objects.filter(revision_id=baseline.revision_id).order_by(
            "created_at", "id"
        ):
            latest[signoff.team_id] = signoff
        chosen = {
            team_id: s.pk for team_id, s in latest.items() if s.decision == "approve"
        }
        if baseline.change_request_id:
            # Parties the change left untouched did not re-sign: their earlier sign-off stands.
            content = baseline.revision.content
            codes = {item["owner_team"] for item in content.get("items", [])}
            base = baseline.change_request.base_baseline_id
            for team_id, signoff_id in linked.get(base, {}).items():
                team_code = SignOff.objects.get(pk=signoff_id).team.code
                still_party = (
                    team_id == baseline.requirement.lead_team_id or team_code in codes
                )
                if still_party and team_id not in latest:
                    chosen[team_id] = signoff_id
        linked[baseline.pk] = chosen
        Baseline.signoffs.through.objects.bulk_create(
            Baseline.signoffs.through(baseline_id=baseline.pk, signoff_id=signoff_id)
            for signoff_id in chosen.values()
        )


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0001_initial"),
        ("plans", "0003_signoff_role_section_hash"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
