"""Every page in zh-Hans reads in Chinese: no untranslated English words and no raw identifiers
(event codes, snake_case values, Python dicts) in the text a reader sees.

What may stay in Latin letters is data people typed or chose as names (user names, team and
component codes, titles), keys such as REQ-1, and a short list of terms the organisation uses
as they are (PM, DEV, API, ...)."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import translation

from techalign.comments.services import add_comment
from techalign.health.reports import REPORTS
from techalign.health.rules import RULES
from techalign.org.models import Component, Department, Role, Team, User
from techalign.plans.services import open_change_request
from techalign.web.diff import diff_content
from tests.factories import advance, grant, make_team

# Terms used untranslated in Chinese teams, and format names.
KEPT = {
    "PM",
    "DEV",
    "API",
    "ICS",
    "CSV",
    "SVG",
    "UTC",
    "ID",
    "URL",
    "HTTP",
    "HTTPS",
    "JSON",
    "ETag",
    "Markdown",
    "techalign",
    "Django",
    "htmx",
    "CalDAV",
    "Webhook",
    "webhook",
    "P0",
    "P1",
    "P2",
    "P3",
    "GMT",
    "ISO",
    "English",
    "UI",
    "SMTP",
    "OK",
    "iCalendar",
    "Bearer",
    "Token",
    "token",
    "CST",
    "TA",
}
# Not words: addresses, time-zone names (Asia/Shanghai), commands (techalign lint), package
# names, keys (REQ-1, S-3, CR-1), rule names (pm-authored-plan), hashes, {placeholders} of
# the message templates a rule page documents.
NOT_WORDS = re.compile(
    r"https?://\S+|\b[A-Z][a-z]+/[A-Za-z_]+\b|\btechalign \w+|\b\w+ 包"
    r"|\b[A-Z]+-\d+\b|\b[a-z]+(?:-[a-z]+)+\b|\b[0-9a-f]*\d[0-9a-f]*\b|\{\w+\}|\bv\d+\b"
)
WORD = re.compile(r"[A-Za-z][A-Za-z]{2,}")
RAW = [
    re.compile(r"\b[a-z]+_[a-z_]+\b"),  # snake_case values: hand_off, api_change
    re.compile(r"\b(?:requirement|scenario|plan|meeting|question|change|schedule)\.[a-z_]+\b"),
    re.compile(r"\{'|'\}|\{&#x27;"),  # a Python dict printed as text
]


class _Text(HTMLParser):
    """The text a reader sees: body text and the labels of controls; not scripts or styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "pre", "code", "svg", "textarea"}:
            self._skip += 1
        for name, value in attrs:
            if name in {"title", "placeholder", "aria-label", "alt"} and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in {"script", "style", "pre", "code", "svg", "textarea"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(p.strip() for p in parser.parts if p.strip())


def problems(text: str, names: set[str]) -> list[str]:
    found = []
    for line in text.splitlines():
        for pattern in RAW:
            found += [f"raw {m.group(0)!r} in {line[:80]!r}" for m in pattern.finditer(line)]
        for match in WORD.finditer(NOT_WORDS.sub(" ", line)):
            word = match.group(0)
            if word in KEPT or word.lower() in names:
                continue
            found.append(f"English {word!r} in {line[:80]!r}")
    return found


@pytest.fixture
def scene(w):
    req = advance(w, "finalized")
    open_change_request(
        requirement=req,
        actor=w.lei,
        title="变更",
        reason="测试发现",
        phase_found="testing",
        affected_teams=[w.payments],
    )
    add_comment(requirement=req, actor=w.ming, body="@jun 请看", item_number=2)
    admin = grant(User.objects.create_user("admin", password="pw-admin"), w.order, Role.ADMIN)
    return req, admin


def _names() -> set[str]:
    """Data people chose as names, in lower case, split where names are split in text."""
    names: set[str] = set()
    values = [
        *User.objects.values_list("username", flat=True),
        *Team.objects.values_list("code", flat=True),
        *Component.objects.values_list("key", flat=True),
        *Department.objects.values_list("code", flat=True),
    ]
    for value in values:
        names.update(part.lower() for part in re.split(r"[^A-Za-z]+", value) if part)
    return names


def _urls(req, w) -> list[str]:
    meeting = req.meetings.first()
    urls = [
        reverse("web:inbox"),
        reverse("web:inbox_section", args=["asks"]),
        reverse("web:requirements"),
        reverse("web:org"),
        reverse("web:catalog"),
        reverse("web:team", args=["order"]),
        reverse("web:department", args=["trade"]),
        reverse("web:preferences"),
        reverse("calendars:mine"),
        reverse("notify:inbox"),
        reverse("health:overview"),
        reverse("health:team", args=["order"]),
        reverse("health:requirement", args=[req.key]),
        reverse("health:rules"),
        reverse("health:reports"),
        *(reverse("health:report", args=[slug]) for slug in REPORTS),
        *(reverse("health:rule", args=[code]) for code in RULES),
    ]
    for name in ["requirement", "plan", "history", "align", "baseline", "activity"]:
        urls.append(reverse(f"web:{name}", args=[req.key]))
    if meeting is not None:
        urls.append(reverse("web:meeting", args=[req.key, meeting.key]))
    return urls


def _sweep(client, urls: list[str]) -> str:
    """What each page says in English or as a raw code; "" when every page reads in Chinese."""
    names = _names()
    report = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found = problems(visible_text(response.content.decode()), names)
        if found:
            report[url] = sorted(set(found))[:15]
    return "\n".join(f"{url}:\n  " + "\n  ".join(p) for url, p in report.items())


def test_every_page_in_zh_hans_has_no_english_words_or_raw_identifiers(scene, w, as_user):
    req, _admin = scene
    report = _sweep(as_user(w.ming, "zh-hans"), _urls(req, w))
    assert not report, report


def test_the_administrators_pages_in_zh_hans_too(scene, as_user):
    _req, admin = scene
    urls = [
        reverse("web:manage"),
        reverse("web:manage_team", args=["order"]),
        reverse("web:manage_people"),
        reverse("web:manage_person", args=["jun"]),
        reverse("web:manage_components"),
        reverse("calendars:company"),
        reverse("notify:deliveries"),
    ]
    report = _sweep(as_user(admin, "zh-hans"), urls)
    assert not report, report


def test_a_plan_diff_shows_the_kind_and_the_team_by_their_names(db):
    make_team("payments", name="支付组")
    with translation.override("zh-hans"):
        before = {"key": "I-1", "title": "t", "kind": "data", "owner_team": "order"}
        after = {**before, "kind": "api_change", "owner_team": "payments"}
        diff = diff_content({"items": [before]}, {"items": [after]})
        shown = {(f.field, f.after) for f in diff.items[0].fields}
    assert ("kind", "接口变更") in shown
    assert ("owner_team", "支付组") in shown
