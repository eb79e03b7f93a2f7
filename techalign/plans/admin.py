"""Plans, revisions, reviews, sign-offs and baselines are agreements: read-only in the admin."""

from django.contrib import admin

from techalign.audit.admin import ReadOnlyAdmin
from techalign.plans.models import Baseline, ChangeRequest, Milestone, Review, Revision, SignOff


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin[Revision]):
    list_display = ("plan", "number", "author", "change_kind", "summary", "created_at")
    # A plan is shown by its requirement's key.
    list_select_related = ("plan__requirement", "author")
    list_filter = ("change_kind",)


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin[Review]):
    list_display = ("revision", "reviewer", "verdict", "created_at")
    list_select_related = ("revision", "reviewer")


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdmin[SignOff]):
    list_display = ("revision", "team", "signer", "decision", "created_at")
    list_select_related = ("revision", "team", "signer")


@admin.register(Baseline)
class BaselineAdmin(ReadOnlyAdmin[Baseline]):
    list_display = (
        "requirement",
        "version",
        "revision",
        "content_hash",
        "finalized_by",
        "finalized_at",
    )
    list_select_related = ("requirement", "revision", "finalized_by")


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin[ChangeRequest]):
    list_display = (
        "requirement",
        "number",
        "title",
        "phase_found",
        "root_cause",
        "cost_weight",
        "status",
    )
    list_select_related = ("requirement",)
    list_filter = ("phase_found", "root_cause", "status")


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin[Milestone]):
    list_display = ("requirement", "team", "kind", "due_on", "done_on")
    list_select_related = ("requirement", "team")
