"""Questions keep their meaning under the asker-accepts flow.

Each resolved question's answer becomes the first reply of its thread, by whoever resolved it,
and is marked accepted (by them, when they resolved it), so "resolved" still reads the same.
Every question gets the asker's side it was raised for: the lead team when the asker is one of
its members, else the related party (owner of an item of the current revision) they belong to.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    Question = apps.get_model("requirements", "Question")
    QuestionReply = apps.get_model("requirements", "QuestionReply")
    Membership = apps.get_model("org", "Membership")
    Item = apps.get_model("plans", "Item")
    teams_of: dict[int, set[int]] = {}
    for user_id, team_id in Membership.objects.values_list("user_id", "team_id"):
        teams_of.setdefault(user_id, set()).add(team_id)
    questions = Question.objects.select_related("requirement__plan").order_by("pk")
    for question in questions.iterator():
        requirement = question.requirement
        mine = teams_of.get(question.raised_by_id, set())
        team_id = None
        if requirement.lead_team_id in mine:
            team_id = requirement.lead_team_id
        else:
            plan = getattr(requirement, "plan", None)
            if plan is not None and plan.current_revision_id:
                owners = set(
                    Item.objects.filter(revision_id=plan.current_revision_id).values_list(
                        "owner_team_id", flat=True
                    )
                )
                party = sorted(owners & mine)
                team_id = party[0] if party else None
        changes = {"raised_for_team_id": team_id}
        if question.resolved_at is not None:
            reply = QuestionReply.objects.create(
                question=question,
                author_id=question.resolved_by_id or question.raised_by_id,
                kind="proposal",
                body=question.answer or "—",
                created_at=question.resolved_at,
            )
            changes.update(state="accepted", answer_reply_id=reply.pk)
        Question.objects.filter(pk=question.pk).update(**changes)


def backwards(apps, schema_editor):
    # The answer and its acceptance stay on the question itself; the replies go with the table.
    pass


class Migration(migrations.Migration):
    dependencies = [
        ("requirements", "0003_question_threads"),
        ("org", "0001_initial"),
        ("plans", "0002_item_owner_revision"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
