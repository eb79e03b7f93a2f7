"""Forms parse and type what a page posts; every domain rule stays in the services."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import QuerySet
from django.forms.renderers import BaseRenderer
from django.forms.utils import flatatt
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from techalign.core.limits import TEXT_LIMIT, TITLE_LIMIT
from techalign.org.models import Component, Department, Language, Role, Team, User
from techalign.plans.models import ItemKind, Milestone, Phase, RootCause, SignOff
from techalign.requirements.models import Priority, Risk, Scenario

MARKDOWN_HELP = _("Markdown: headings, lists, tables, links.")


class ISOFormat:
    """A date or time widget whose value is always rendered in the one format the browser's
    `<input type=date|datetime-local>` accepts, whatever the language: under zh-Hans Django
    would render `2026/12/21`, which the browser drops, so an unchanged form saved it empty.
    Datetimes reach the widget already in the reader's time zone (the form field converts
    them), and are parsed back in that zone."""

    iso_format = ""

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        # A mixin: the widget after it in the MRO takes these; mypy sees object.__init__.
        super().__init__(attrs, format=self.iso_format)  # type: ignore[call-arg]


class DateInput(ISOFormat, forms.DateInput):
    input_type = "date"
    iso_format = "%Y-%m-%d"


class DateTimeInput(ISOFormat, forms.DateTimeInput):
    input_type = "datetime-local"
    iso_format = "%Y-%m-%dT%H:%M"


# What Widget.render takes besides the name and value.
Attrs = dict[str, Any]
Renderer = BaseRenderer


def _offer(form: forms.Form, name: str, queryset: QuerySet[Any]) -> None:
    """Offer `queryset` in the model choice field `name` of this form."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


def _choose(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    """Offer `choices` in the choice field `name` of this form."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _markdown_area(rows: int = 6) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "data-markdown": "1"})


class PersonChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.username})"


class PeopleChoiceField(forms.ModelMultipleChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.username})"


class RequirementFields(forms.Form):
    """What a requirement's author writes; the edit form adds the version it was read at."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_LIMIT)
    user_stories = forms.CharField(
        label=_("User stories"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=_markdown_area(),
        help_text=MARKDOWN_HELP,
    )
    business_process = forms.CharField(
        label=_("Business process"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=_markdown_area(),
        help_text=MARKDOWN_HELP,
    )
    planned_dev_start_on = forms.DateField(
        label=_("Planned development start"), required=False, widget=DateInput
    )
    planned_launch_on = forms.DateField(label=_("Planned launch"), required=False, widget=DateInput)
    is_private = forms.BooleanField(label=_("Private to its teams"), required=False)


class RequirementForm(RequirementFields):
    version = forms.IntegerField(widget=forms.HiddenInput)


class NewRequirementForm(RequirementFields):
    lead_team = forms.ModelChoiceField(label=_("Lead team"), queryset=Team.objects.none())
    lead_dev = PersonChoiceField(label=_("Lead DEV"), queryset=User.objects.none(), required=False)

    def __init__(
        self, *args: Any, teams: QuerySet[Team], developers: QuerySet[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "lead_team", teams)
        _offer(self, "lead_dev", developers)


class LeadDevForm(forms.Form):
    lead_dev = PersonChoiceField(label=_("Lead DEV"), queryset=User.objects.none())

    def __init__(self, *args: Any, developers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "lead_dev", developers)


class DelegateForm(forms.Form):
    delegate = PersonChoiceField(label=_("DEV of the lead team"), queryset=User.objects.none())

    def __init__(self, *args: Any, developers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "delegate", developers)


class ScenarioForm(forms.Form):
    """Shown on the overview next to the requirement's own form, which has a title and a
    description too: its ids get their own prefix so that each label names one field."""

    title = forms.CharField(label=_("Scenario"), max_length=TITLE_LIMIT)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.P1)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    acceptance_criteria = forms.CharField(
        label=_("Acceptance criteria"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "scenario_%s")
        super().__init__(*args, **kwargs)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=TEXT_LIMIT)


class RiskForm(forms.Form):
    risk = forms.ChoiceField(label=_("High risk"), choices=Risk.choices)
    reason = forms.CharField(
        label=_("Why"), max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 2})
    )


class QuickSelect(forms.Select):
    """A select whose options are joined in Python: Django renders each option through a
    template of its own, which made a long list (a large plan's items) cost tens of ms."""

    def render(
        self, name: str, value: Any, attrs: Attrs | None = None, renderer: Renderer | None = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], " selected" if option["selected"] else "", option["label"])
                for _group, choices, _index in widget["optgroups"]
                for option in choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(widget["attrs"]), options
        )


class QuestionForm(forms.Form):
    body = forms.CharField(
        label=_("Question"), max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 2})
    )
    scenario = forms.ChoiceField(label=_("On scenario"), required=False, widget=QuickSelect)
    item_key = forms.ChoiceField(label=_("On item"), required=False, widget=QuickSelect)
    is_blocking = forms.BooleanField(label=_("Blocking"), required=False)

    def __init__(
        self,
        *args: Any,
        scenario_keys: Iterable[str] = (),
        item_keys: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "scenario", [("", "—"), *[(k, k) for k in scenario_keys]])
        _choose(self, "item_key", [("", "—"), *[(k, k) for k in item_keys]])


class AskForm(forms.Form):
    body = forms.CharField(label=_("Question"), max_length=TEXT_LIMIT)
    is_blocking = forms.BooleanField(label=_("Blocking"), required=False)


class ThreadForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"), max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 2})
    )
    do = forms.ChoiceField(
        choices=[
            ("reply", _("Reply")),
            ("propose", _("Propose as the answer")),
            ("reject", _("Do not accept")),
            ("reopen", _("Reopen")),
        ],
        initial="reply",
    )


class ComponentSearch(forms.TextInput):
    """A text field for a component's key with suggestions from the catalog as one types.

    A select of the whole catalog put thousands of options on every plan page; the catalog
    is searched instead (htmx fills the datalist), starting from the suggestions given."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.suggestions: list[Component] = []
        # Team codes the search is limited to (a party DEV's own team); empty: the catalog.
        self.owner_teams: list[str] = []

    def render(
        self, name: str, value: Any, attrs: Attrs | None = None, renderer: Renderer | None = None
    ) -> SafeString:
        attrs = dict(attrs or {})
        options_id = f"{attrs.get('id', name)}_options"
        search = reverse("web:component_options")
        if self.owner_teams:
            search += "?" + urlencode([("team", code) for code in self.owner_teams])
        attrs.update(
            {
                "list": options_id,
                "hx-get": search,
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{options_id}",
            }
        )
        field = super().render(name, value, attrs, renderer)
        options = render_to_string(
            "web/plan/_component_options.html", {"components": self.suggestions}
        )
        return format_html('{}<datalist id="{}">{}</datalist>', field, options_id, options)


class ComponentField(forms.CharField):
    """A component named by its key in the catalog."""

    widget = ComponentSearch

    def prepare_value(self, value: Any) -> Any:
        return value.key if isinstance(value, Component) else value

    def clean(self, value: Any) -> Component | None:
        key = super().clean(value)
        if not key:
            return None
        component = Component.objects.select_related("owner_team").filter(key=key).first()
        if component is None:
            raise forms.ValidationError(
                _("No component %(key)s in the catalog."), code="unknown", params={"key": key}
            )
        return component


class ItemForm(forms.Form):
    """One plan item. `based_on` is the revision the author saw; a newer one refuses the edit."""

    component = ComponentField(
        label=_("Component"),
        max_length=100,
        help_text=_("The catalog key; type part of its key or name for suggestions."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ItemKind.choices)
    title = forms.CharField(label=_("Title"), max_length=TITLE_LIMIT)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=_markdown_area(5),
        help_text=MARKDOWN_HELP,
    )
    scenario_keys = forms.MultipleChoiceField(
        label=_("Covers scenarios"), required=False, widget=forms.CheckboxSelectMultiple
    )
    ask = forms.CharField(
        label=_("Ask to the owning team"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when another team owns the component."),
    )
    due_on = forms.DateField(label=_("Due"), required=False, widget=DateInput)
    based_on = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        suggestions: Iterable[Component] = (),
        scenario_keys: Iterable[str],
        owner_teams: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["component"].widget.suggestions = list(suggestions)
        self.fields["component"].widget.owner_teams = list(owner_teams)
        _choose(self, "scenario_keys", [(k, k) for k in scenario_keys])


class RevisionForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)


class SignedContentForm(RevisionForm):
    """What the reader saw: the revision number and its content hash."""

    content_hash = forms.CharField(widget=forms.HiddenInput, max_length=64)


class ReviewForm(SignedContentForm):
    """A verdict on the exact content the reviewer read."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SignOffForm(SignedContentForm):
    team = forms.ModelChoiceField(
        label=_("For team"), queryset=Team.objects.none(), empty_label=None
    )
    as_role = forms.ChoiceField(
        label=_("Sign as"),
        required=False,
        choices=[("", _("the capacity still missing")), *SignOff.Capacity.choices],
        help_text=_(
            "A related party signs through a DEV (its PM may confirm); the lead team through "
            "its PM and its lead DEV."
        ),
    )
    reason = forms.CharField(
        label=_("Reason (required to reject)"), required=False, max_length=TEXT_LIMIT
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "team", teams)


class WaiverForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("Party excused"), queryset=Team.objects.none(), empty_label=None
    )
    # Required by the service, which names the team when it is missing.
    reason = forms.CharField(
        label=_("Why it could not attend"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "team", teams)


class WaiverWithdrawalForm(forms.Form):
    # Required by the service, which names the team when it is missing.
    reason = forms.CharField(
        label=_("Why the waiver is withdrawn"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), required=False, max_length=TITLE_LIMIT)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DateTimeInput)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DateTimeInput)
    location = forms.CharField(label=_("Location"), required=False, max_length=200)
    presenter = PersonChoiceField(label=_("Presenter"), queryset=User.objects.none())
    required = PeopleChoiceField(
        label=_("Required invitees"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    optional = PeopleChoiceField(
        label=_("Optional invitees"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self, *args: Any, people: QuerySet[User], presenters: QuerySet[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "required", people)
        _offer(self, "optional", people)
        _offer(self, "presenter", presenters)


class RescheduleForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DateTimeInput)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DateTimeInput)
    location = forms.CharField(label=_("Location"), required=False, max_length=200)


class PersonForm(forms.Form):
    user = PersonChoiceField(label=_("Person"), queryset=User.objects.none())
    is_required = forms.BooleanField(label=_("Required"), required=False)

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "user", people)


class InvitationAnswerForm(forms.Form):
    """An invitee's answer to an invitation, from the meeting page or an answer link."""

    response = forms.ChoiceField(
        label=_("Your answer"),
        widget=forms.RadioSelect,
        choices=[
            ("accepted", _("Accept")),
            ("tentative", _("Tentative")),
            ("declined", _("Decline")),
        ],
    )
    note = forms.CharField(
        label=_("Reason, if you decline (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AttendanceForm(forms.Form):
    attended = forms.TypedChoiceField(
        coerce=lambda v: v == "yes", choices=[("yes", _("Present")), ("no", _("Absent"))]
    )


class TextForm(forms.Form):
    text = forms.CharField(
        label=_("Decision"), max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(TextForm):
    closes = forms.MultipleChoiceField(
        label=_("Settles questions"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, question_keys: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "closes", [(k, k) for k in question_keys])


class ActionItemForm(forms.Form):
    text = forms.CharField(label=_("Action item"), max_length=TEXT_LIMIT)
    owner = PersonChoiceField(label=_("Owner"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("Due"), widget=DateInput)
    serves = forms.ChoiceField(label=_("For (optional)"), required=False, widget=QuickSelect)

    def __init__(
        self,
        *args: Any,
        people: QuerySet[User],
        item_keys: Iterable[str] = (),
        scenario_keys: Iterable[str] = (),
        question_keys: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "owner", people)
        _choose(
            self,
            "serves",
            [("", "—"), *[(k, k) for k in (*item_keys, *scenario_keys, *question_keys)]],
        )


class ChangeRequestForm(forms.Form):
    title = forms.CharField(label=_("What changes"), max_length=TITLE_LIMIT)
    reason = forms.CharField(
        label=_("Why"), max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 2})
    )
    phase_found = forms.ChoiceField(label=_("Phase found"), choices=Phase.choices)
    phase_reason = forms.CharField(
        label=_("Why earlier than the milestones say"),
        max_length=TEXT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    affected_teams = forms.ModelMultipleChoiceField(
        label=_("Affected parties"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    root_cause = forms.ChoiceField(
        label=_("Root cause"),
        choices=[("", "—")] + [c for c in RootCause.choices if c[0] != RootCause.UNKNOWN],
        required=False,
    )
    cause_scenario_key = forms.ChoiceField(label=_("Scenario concerned"), required=False)
    cause_item_key = forms.ChoiceField(label=_("Item concerned"), required=False)
    cause_team = forms.ModelChoiceField(
        label=_("Party concerned"), queryset=Team.objects.none(), required=False
    )

    def __init__(
        self,
        *args: Any,
        teams: QuerySet[Team],
        scenarios: Iterable[Scenario] = (),
        item_keys: Iterable[str] = (),
        proposed: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "affected_teams", teams)
        _offer(self, "cause_team", teams)
        _choose(
            self,
            "cause_scenario_key",
            [("", "—")] + [(s.key, f"{s.key} {s.title}") for s in scenarios],
        )
        _choose(self, "cause_item_key", [("", "—")] + [(k, k) for k in item_keys])
        if proposed:
            # The milestones' proposal comes selected; choosing an earlier phase shows the
            # reason it then needs (app.js), and the field stays visible without script.
            self.fields["phase_found"].initial = proposed
            earlier = Phase.values[: Phase.values.index(proposed)]
            self.fields["phase_found"].widget.attrs.update(
                {"data-reveal": "id_phase_reason", "data-reveal-values": " ".join(earlier)}
            )
            self.fields["phase_found"].help_text = _("Proposed from the milestones: %(phase)s") % {
                "phase": Phase(proposed).label
            }


class MilestoneForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), empty_label=None)
    kind = forms.ChoiceField(label=_("Milestone"), choices=Milestone.Kind.choices)
    due_on = forms.DateField(label=_("Due"), widget=DateInput)
    done_on = forms.DateField(label=_("Done"), required=False, widget=DateInput)

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "team", teams)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)
    next = forms.CharField(required=False)


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        help_text=_("For example Asia/Shanghai or Europe/Berlin."),
    )

    def clean_time_zone(self) -> str:
        zone: str = self.cleaned_data["time_zone"]
        if zone not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Unknown time zone."))
        return zone


# --- administration ---------------------------------------------------------------------------


class TeamAdminForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=50)
    name = forms.CharField(label=_("name"), max_length=100)
    department = forms.ModelChoiceField(label=_("department"), queryset=Department.objects.all())
    is_committee = forms.BooleanField(label=_("is a technical committee"), required=False)


class PlanImportForm(forms.Form):
    # Size and content are the plan file's limits, checked by the import (docs/limits.md).
    markdown = forms.CharField(
        label=_("The plan as Markdown (an edited export)"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "mono"}),
    )


class DepartmentAdminForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=50)
    name = forms.CharField(label=_("name"), max_length=100)


class OrgPolicyForm(forms.Form):
    """The cost-of-change weight of each phase a gap was found in, and the factor per extra
    affected party (the organisation policy)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    cost_per_extra_party = forms.DecimalField(
        label=_("cost factor per extra affected party"),
        min_value=0,
        max_value=99.99,
        max_digits=4,
        decimal_places=2,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for phase, label in Phase.choices:
            self.fields[f"weight_{phase}"] = forms.IntegerField(
                label=label, min_value=0, max_value=10_000
            )

    def policy(self) -> dict[str, Any]:
        """The cleaned data as `update_org_policy` takes it."""
        data = self.cleaned_data
        return {
            "version": data["version"],
            "cost_per_extra_party": data["cost_per_extra_party"],
            "cost_curve": {phase: data[f"weight_{phase}"] for phase in Phase.values},
        }


class DepartmentRenameForm(forms.Form):
    code = forms.SlugField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    name = forms.CharField(label=_("name"), max_length=100)


class DepartmentRemoveForm(forms.Form):
    code = forms.SlugField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class GrantRoleForm(forms.Form):
    username = forms.CharField(label=_("user name"), max_length=150)
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)


class PersonAdminForm(forms.Form):
    username = forms.RegexField(
        label=_("user name"), max_length=150, regex=r"^[\w.@+-]+\Z", strip=True
    )
    display_name = forms.CharField(label=_("display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("e-mail"), required=False)
    is_active = forms.BooleanField(label=_("may sign in"), required=False, initial=True)


class ComponentAdminForm(forms.Form):
    key = forms.SlugField(label=_("key"), max_length=100)
    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=Component.Kind.choices)
    owner_team = forms.ModelChoiceField(label=_("owning team"), queryset=Team.objects.all())
    description = forms.CharField(
        label=_("description"), max_length=5000, required=False, widget=forms.Textarea({"rows": 3})
    )
