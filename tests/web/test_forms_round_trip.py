"""Every edit form, opened and saved unchanged, changes nothing, in zh-Hans and in English.

The form is read from the page and posted the way a browser would post it: in particular a
browser drops a `<input type=date|datetime-local|time>` value it cannot parse (such as the
`2026/12/21` Django renders for zh-Hans by default), so a widget that renders a localized date
shows up here as a date erased by saving.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from django import forms as django_forms
from django.urls import reverse
from django.utils import timezone, translation

from techalign.calendars.models import WorkingHours
from techalign.meetings import services as meetings
from techalign.org.models import User
from techalign.plans.selectors import current_revision, items_of
from techalign.requirements import services as requirements
from techalign.web import forms
from tests.factories import advance, with_planned_dates

LANGUAGES = ["zh-hans", "en"]
HTMX = {"HTTP_HX_REQUEST": "true"}

# What a browser accepts as the value of these input types; anything else it shows and sends
# as empty.
VALID_VALUE = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "datetime-local": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?"),
    "time": re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?"),
    "number": re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?"),
}


@dataclass
class Field:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    options: list[dict[str, str]] | None = None


class FormReader(HTMLParser):
    """The forms of a page with their fields, as a browser builds them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[dict[str, str], list[Field]]] = []
        self._form: list[Field] | None = None
        self._open: Field | None = None  # the textarea or select being read

    def handle_starttag(self, tag: str, attrs_: list[tuple[str, str | None]]) -> None:
        attrs = {k: v if v is not None else "" for k, v in attrs_}
        if tag == "form":
            self._form = []
            self.forms.append((attrs, self._form))
        elif self._form is None:
            return
        elif tag in ("input", "button"):
            self._form.append(Field(tag, attrs))
        elif tag == "textarea":
            self._open = Field(tag, attrs)
            self._form.append(self._open)
        elif tag == "select":
            self._open = Field(tag, attrs, options=[])
            self._form.append(self._open)
        elif tag == "option" and self._open is not None and self._open.options is not None:
            self._open.options.append({**attrs, "text": ""})

    def handle_data(self, data: str) -> None:
        if self._open is None:
            return
        if self._open.tag == "textarea":
            self._open.text += data
        elif self._open.options:
            self._open.options[-1]["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag in ("textarea", "select"):
            self._open = None


def posted_data(fields: list[Field]) -> dict[str, list[str]]:
    """What the browser sends when the form's first submit button is clicked, unchanged."""
    data: dict[str, list[str]] = {}
    clicked = False
    for field in fields:
        name = field.attrs.get("name")
        if "disabled" in field.attrs:
            continue
        kind = field.attrs.get("type", "submit" if field.tag == "button" else "text").lower()
        if field.tag == "button" or kind == "submit":
            if not clicked:
                clicked = True
                if name:
                    data.setdefault(name, []).append(field.attrs.get("value", ""))
            continue
        if not name:
            continue
        if field.tag == "textarea":
            # The HTML parser drops one newline right after <textarea>.
            data.setdefault(name, []).append(field.text.removeprefix("\n"))
        elif field.tag == "select":
            options = field.options or []
            chosen = [o for o in options if "selected" in o]
            if not chosen and options and "multiple" not in field.attrs:
                chosen = options[:1]
            for option in chosen:
                data.setdefault(name, []).append(option.get("value", option["text"].strip()))
        elif kind in ("checkbox", "radio"):
            if "checked" in field.attrs:
                data.setdefault(name, []).append(field.attrs.get("value", "on"))
        elif kind == "file":
            continue
        else:
            value = field.attrs.get("value", "")
            pattern = VALID_VALUE.get(kind)
            if pattern is not None and not pattern.fullmatch(value):
                value = ""
            data.setdefault(name, []).append(value)
    return data


def save_unchanged(client, page_url: str, matches: Callable[[dict[str, str], list[Field]], bool]):
    """Open the page, find the form, and post it back as it was rendered."""
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    reader = FormReader()
    reader.feed(page.content.decode())
    found = [(attrs, fields) for attrs, fields in reader.forms if matches(attrs, fields)]
    assert len(found) == 1, f"{len(found)} matching forms on {page_url}"
    attrs, fields = found[0]
    action = attrs.get("action") or page_url
    extra = HTMX if "hx-boost" in attrs else {}
    response = client.post(action, posted_data(fields), **extra)
    assert response.status_code in (200, 302), response.content.decode()[:2000]
    assert not response.get("X-Refused"), response["X-Refused"]
    return response


def posts_to(action: str) -> Callable[[dict[str, str], list[Field]], bool]:
    return lambda attrs, fields: attrs.get("action", "").endswith(f"/do/{action}/")


def has_hidden(name: str, value: str) -> Callable[[dict[str, str], list[Field]], bool]:
    return lambda attrs, fields: any(
        f.attrs.get("type") == "hidden"
        and f.attrs.get("name") == name
        and f.attrs.get("value") == value
        for f in fields
    )


def no_action(attrs: dict[str, str], fields: list[Field]) -> bool:
    return "action" not in attrs and attrs.get("method") == "post"


# --- the edit forms ------------------------------------------------------------------------


def _dated_requirement(w):
    req = with_planned_dates(w, advance(w, "planning"))
    requirements.update_requirement(
        requirement=req,
        actor=w.ming,
        version=req.version,
        user_stories="作为买家，我可以退部分商品。",
    )
    req.refresh_from_db()
    return req


def _rescheduled_meeting(w):
    """The meeting of an aligning requirement, moved to 09:30-10:45 UTC on 4 March 2030."""
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    meetings.reschedule_meeting(
        meeting=meeting,
        actor=w.ming,
        starts_at=dt.datetime(2030, 3, 4, 9, 30, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 3, 4, 10, 45, tzinfo=dt.UTC),
        location="A 座 5 楼",
    )
    return req, meeting


def _requirement_state(req) -> dict[str, Any]:
    req.refresh_from_db()
    fields = ["title", "user_stories", "business_process", "is_private", "lead_dev_id"]
    fields += ["planned_dev_start_on", "planned_launch_on", "status"]
    return {f: getattr(req, f) for f in fields}


def _scenario_state(req) -> list[tuple]:
    return list(
        req.scenarios.order_by("number").values_list(
            "title", "priority", "description", "acceptance_criteria", "acknowledged_at"
        )
    )


def _items_state(req) -> list[tuple]:
    return [
        (
            i.key,
            i.title,
            i.kind,
            i.component_id,
            i.description,
            i.ask,
            i.due_on,
            sorted(s.number for s in i.scenarios.all()),
        )
        for i in items_of(current_revision(req))
    ]


def edit_requirement(w, open_as):
    client = open_as(w.ming)
    req = _dated_requirement(w)
    before = _requirement_state(req), _scenario_state(req)
    save_unchanged(
        client, reverse("web:requirement", args=[req.key]), posts_to("update_requirement")
    )
    return before, (_requirement_state(req), _scenario_state(req))


def assign_lead_dev(w, open_as):
    client = open_as(w.ming)
    req = _dated_requirement(w)
    before = _requirement_state(req)
    save_unchanged(client, reverse("web:requirement", args=[req.key]), posts_to("assign_lead_dev"))
    return before, _requirement_state(req)


def edit_scenario(w, open_as):
    client = open_as(w.ming)
    req = _dated_requirement(w)
    requirements.update_scenario(
        scenario=req.scenarios.get(number=2),
        actor=w.ming,
        description="- 部分退款\n- 含运费时按比例",
        acceptance_criteria="退款金额 = 商品金额 × 比例",
    )
    before = _scenario_state(req)
    save_unchanged(
        client, reverse("web:requirement", args=[req.key]), posts_to("update_scenario/S-2")
    )
    return before, _scenario_state(req)


def edit_item(w, open_as):
    client = open_as(w.lei)  # a DEV of the lead team writes the plan
    req = _dated_requirement(w)
    before = _items_state(req)
    key = before[1][0]  # the payments team's item: it has an ask and a due date
    url = reverse("web:plan", args=[req.key]) + f"?edit_item={key}"
    save_unchanged(client, url, posts_to(f"update_item/{key}"))
    return before, _items_state(req)


def reschedule(w, open_as):
    client = open_as(w.ming)
    req, meeting = _rescheduled_meeting(w)

    def state():
        meeting.refresh_from_db()
        return meeting.starts_at, meeting.ends_at, meeting.location, meeting.status

    before = state()
    url = reverse("web:meeting", args=[req.key, meeting.key])
    save_unchanged(client, url, posts_to("reschedule"))
    return before, state()


def preferences(w, open_as):
    client = open_as(w.ming)

    def state():
        user = User.objects.get(pk=w.ming.pk)
        return user.language, user.time_zone

    before = state()
    save_unchanged(client, reverse("web:preferences"), no_action)
    return before, state()


def working_hours(w, open_as):
    client = open_as(w.ming)

    def state():
        hours = WorkingHours.objects.filter(user=w.ming).first() or WorkingHours(user=w.ming)
        user = User.objects.get(pk=w.ming.pk)
        return (
            hours.starts,
            hours.ends,
            hours.break_starts,
            hours.break_ends,
            sorted(hours.weekdays),
            user.time_zone,
        )

    WorkingHours.objects.create(
        user=w.ming,
        starts=dt.time(9, 30),
        ends=dt.time(18, 30),
        break_starts=dt.time(12, 0),
        break_ends=dt.time(13, 30),
        weekdays=[1, 2, 3, 4, 5, 6],
        version=1,
    )
    before = state()
    save_unchanged(client, reverse("calendars:mine"), has_hidden("form", "hours"))
    return before, state()


EDIT_FORMS = [
    edit_requirement,
    assign_lead_dev,
    edit_scenario,
    edit_item,
    reschedule,
    preferences,
    working_hours,
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("edit", EDIT_FORMS, ids=lambda f: f.__name__)
def test_saving_an_edit_form_unchanged_changes_nothing(w, as_user, language, edit):
    def open_as(user):
        # The person reading the form lives in another zone than the site (Asia/Shanghai):
        # the times they see and send back are theirs.
        User.objects.filter(pk=user.pk).update(time_zone="Europe/Berlin", language=language)
        return as_user(user, language)

    before, after = edit(w, open_as)
    assert after == before


def test_a_meeting_time_is_shown_in_the_readers_zone(w, as_user):
    """09:30 UTC on 4 March 2030 is 10:30 in Berlin: that is what the Berlin reader's
    reschedule form holds."""
    User.objects.filter(pk=w.ming.pk).update(time_zone="Europe/Berlin")
    req, meeting = _rescheduled_meeting(w)
    page = as_user(w.ming, "zh-hans").get(reverse("web:meeting", args=[req.key, meeting.key]))
    html = page.content.decode()
    assert 'name="starts_at" value="2030-03-04T10:30"' in html
    assert 'name="ends_at" value="2030-03-04T11:45"' in html


def _all_form_classes() -> list[type[django_forms.Form]]:
    found, todo = [], [django_forms.Form]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("techalign."):
                found.append(sub)
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_date_widget_of_every_form_renders_iso(language):
    """No form of the project can render a date the browser would drop, in any language."""
    moment = timezone.make_aware(dt.datetime(2026, 12, 21, 9, 5), zoneinfo.ZoneInfo("UTC"))
    checked = 0
    with translation.override(language):
        for form_class in _all_form_classes():
            for name, field in form_class.base_fields.items():
                if isinstance(field, django_forms.DateTimeField):
                    html = field.widget.render(name, timezone.localtime(moment))
                    assert 'value="2026-12-21T17:05"' in html, (form_class, name, html)
                    assert isinstance(field.widget, forms.DateTimeInput), (form_class, name)
                    checked += 1
                elif isinstance(field, django_forms.DateField):
                    html = field.widget.render(name, moment.date())
                    assert 'value="2026-12-21"' in html, (form_class, name, html)
                    assert isinstance(field.widget, forms.DateInput), (form_class, name)
                    checked += 1
    assert checked >= 8
