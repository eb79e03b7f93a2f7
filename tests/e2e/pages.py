"""Every page of the app, as the demo's personas see them, walked in both languages.

Shared by the phone-layout and accessibility checks: the pages are discovered once from the
demo data, then each persona signs in once (one browser context each) and visits its share of
the pages in each language asked for; at every page the caller's check runs at each viewport
width. The checks take one language per test, so that the two halves of a walk of a minute or
more run side by side on the suite's two workers instead of one after the other.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from tests.e2e.conftest import ARTIFACTS

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
WIDTHS = (PHONE, DESKTOP)
LANGUAGES = ("zh-hans", "en")
SCREENSHOTS = ARTIFACTS / "pages"
# A full-page picture of every page at both widths is a quarter of the phone-layout walk: by
# default only the pages with a finding are pictured; TECHALIGN_SCREENSHOTS=all pictures every
# one, to review a change of layout.
EVERY_SCREENSHOT = os.environ.get("TECHALIGN_SCREENSHOTS", "") == "all"

# Where on the page the horizontal overflow comes from: the outermost elements that stick out
# of the viewport without a scrolling box around them.
OVERFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= window.innerWidth) return null;
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    if (el.classList.length) name += "." + [...el.classList].join(".");
    const text = (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    return `${name} "${text}"`;
  };
  const clippedAbove = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const culprits = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= window.innerWidth + 0.5) continue;
    if (culprits.some((outer) => outer.contains(el)) || clippedAbove(el)) continue;
    culprits.push(el);
  }
  return {
    scrollWidth: root.scrollWidth,
    innerWidth: window.innerWidth,
    culprits: culprits.slice(0, 6).map(
      (el) => `${describe(el)} right=${Math.round(el.getBoundingClientRect().right)}`
    ),
  };
}"""


# htmx has loaded and no part of the page is still loading (hx-trigger="load" swaps itself out).
SETTLED = """() => window.htmx && !document.querySelector('[hx-trigger="load"], .htmx-request')"""


@dataclass(frozen=True)
class Page:
    name: str  # for screenshots and failure messages, e.g. "requirement-plan"
    path: str
    persona: str | None  # None: signed out


def discover() -> list[Page]:
    """The pages to walk, from the demo data just loaded; each persona walks a share."""
    from techalign.demo import MAIN_TITLE, PERSONAS
    from techalign.health.reports import REPORTS
    from techalign.health.rules import RULES
    from techalign.meetings.models import Meeting
    from techalign.org.models import Department, Team

    main_key = _requirement_key(MAIN_TITLE)
    meeting = (
        Meeting.objects.select_related("requirement").order_by("-requirement__id", "id").first()
    )
    aligned_key = meeting.requirement.key
    team = Team.objects.filter(is_committee=False).order_by("code").first()
    department = Department.objects.order_by("code").first()
    report = next(iter(REPORTS))
    rule = next(iter(RULES))

    pages = [Page("login", reverse("login"), None)]
    pages += [Page(f"inbox-{persona}", reverse("web:inbox"), persona) for persona in PERSONAS]

    def tabs(prefix: str, key: str, persona: str) -> list[Page]:
        return [
            Page(f"{prefix}-{tab}", reverse(f"web:{route}", args=[key]), persona)
            for tab, route in (
                ("overview", "requirement"),
                ("plan", "plan"),
                ("history", "history"),
                ("align", "align"),
                ("baseline", "baseline"),
                ("activity", "activity"),
            )
        ]

    pages += tabs("draft", main_key, "lead_pm")
    pages += tabs("aligned", aligned_key, "lead_dev")
    pages += [
        Page("meeting", reverse("web:meeting", args=[aligned_key, meeting.key]), "lead_dev"),
        Page("slots", reverse("calendars:slots", args=[aligned_key]), "lead_dev"),
        Page("requirements", reverse("web:requirements"), "payments_pm"),
        Page("inbox-asks", reverse("web:inbox_section", args=["asks"]), "payments_pm"),
        Page("preferences", reverse("web:preferences"), "payments_dev"),
        Page("notifications", reverse("notify:inbox"), "payments_dev"),
        Page("calendars", reverse("calendars:mine"), "finance_pm"),
        Page("company-calendar", reverse("calendars:company"), "finance_pm"),
        Page("health", reverse("health:overview"), "tech_lead"),
        Page("health-team", reverse("health:team", args=[team.code]), "tech_lead"),
        Page(
            "health-department", reverse("health:department", args=[department.code]), "tech_lead"
        ),
        Page("health-requirement", reverse("health:requirement", args=[aligned_key]), "tech_lead"),
        Page("health-rules", reverse("health:rules"), "architect"),
        Page("health-rule", reverse("health:rule", args=[rule]), "architect"),
        Page("reports", reverse("health:reports"), "architect"),
        Page("report", reverse("health:report", args=[report]), "architect"),
        Page("org", reverse("web:org"), "finance_dev"),
        Page("catalog", reverse("web:catalog"), "finance_dev"),
        Page("team", reverse("web:team", args=[team.code]), "finance_dev"),
        Page("department", reverse("web:department", args=[department.code]), "outsider"),
        Page("manage", reverse("web:manage"), "admin"),
        Page("manage-team", reverse("web:manage_team", args=[team.code]), "admin"),
        Page("manage-people", reverse("web:manage_people"), "admin"),
        Page("manage-components", reverse("web:manage_components"), "admin"),
    ]
    return pages


def _requirement_key(title: str) -> str:
    from techalign.requirements.models import Requirement

    return Requirement.objects.get(title=title).key


def walk(
    browser,
    base_url: str,
    pages: list[Page],
    check: Callable[[object, Page, str, dict], None],
    languages: tuple[str, ...] = LANGUAGES,
) -> None:
    """Visit every page in each of `languages`, calling `check(page, where, language,
    viewport)` at each width. One browser context per persona, signed in once, for all of its
    pages."""
    from techalign.demo import DEMO_PASSWORD, PERSONAS

    personas = list(dict.fromkeys(page.persona for page in pages))
    for persona in personas:
        context = browser.new_context(base_url=base_url, viewport=DESKTOP, locale="zh-CN")
        context.set_default_timeout(15_000)
        try:
            tab = context.new_page()
            tab.goto(reverse("login"))
            if persona is not None:
                tab.fill("#id_username", PERSONAS[persona])
                tab.fill("#id_password", DEMO_PASSWORD)
                tab.click("main button[type=submit]")
                tab.wait_for_url(lambda url: "/accounts/login/" not in url)
            for language in languages:
                tab.set_viewport_size(DESKTOP)
                with tab.expect_navigation():
                    tab.click(f"button[name=language][value={language}]")
                for where in (page for page in pages if page.persona == persona):
                    tab.set_viewport_size(DESKTOP)
                    tab.goto(where.path)
                    tab.wait_for_function(SETTLED)
                    for viewport in WIDTHS:
                        tab.set_viewport_size(viewport)
                        check(tab, where, language, viewport)
        finally:
            context.close()


def unfold(tab) -> None:
    """Open every <details> (editors, folded forms), so their content is checked too."""
    tab.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")


def overflow(tab) -> dict | None:
    """None when the page fits its viewport; else the widths and the elements sticking out."""
    return tab.evaluate(OVERFLOW)


def screenshot(tab, where: Page, language: str, viewport: dict) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = f"{where.name}-{language}-{viewport['width']}.png"
    tab.screenshot(path=str(SCREENSHOTS / name), full_page=True)
