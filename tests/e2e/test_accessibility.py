"""axe-core over every page, in Chinese and in English, at phone and desktop widths.

axe-core is vendored in tests/e2e/vendor/axe-core/ (version in its VERSION file) and injected
into each page as the demo's personas see it (tests/e2e/pages.py), its folded editors opened.
Any serious or critical violation fails, listed with the elements it concerns. The keyboard
focus is visible: its outline contrasts at least 3:1 with what surrounds it, on the dark top
bar as on the page.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.pages import DESKTOP, LANGUAGES, PHONE, discover, unfold, walk

# What a browser draws is the same on either database (see tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.one_database]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
SERIOUS = ("serious", "critical")

RUN_AXE = """async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" ") + " — " + n.failureSummary
      .replace(/\\s+/g, " ").slice(0, 160)),
  }));
}"""


# axe no longer reports a plain duplicate id (only one that ARIA refers to); labels and htmx
# targets rely on ids being unique, so they are checked here as well.
DUPLICATE_IDS = """() => {
  const seen = new Map();
  for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) || 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `#${id} ×${n}`);
}"""


def axe_violations(tab) -> list[dict]:
    if not tab.evaluate("() => typeof window.axe !== 'undefined'"):
        tab.evaluate(AXE)
    return tab.evaluate(RUN_AXE)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_has_a_serious_or_critical_axe_violation(browser, demo, language):
    pages = discover()
    found: dict[tuple[str, str], list[str]] = {}

    every: list[dict] = []  # all impacts, for test-artifacts/axe-violations-<language>.json

    def check(tab, where, language, viewport):
        if viewport is PHONE:  # ids do not depend on the width
            for duplicate in tab.evaluate(DUPLICATE_IDS):
                found.setdefault(("duplicate-id", "ids must be unique"), []).append(
                    f"  {where.name} {language}: {duplicate}"
                )
        unfold(tab)
        for violation in axe_violations(tab):
            every.append({"page": where.name, "language": language, **viewport, **violation})
            if violation["impact"] not in SERIOUS:
                continue
            key = (violation["id"], f"{violation['impact']}: {violation['help']}")
            found.setdefault(key, []).append(
                f"  {where.name} {language} {viewport['width']} px: {violation['nodes']}"
            )

    walk(browser, demo.url, pages, check, languages=(language,))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-violations-{language}.json").write_text(
        json.dumps(every, ensure_ascii=False, indent=1)
    )
    report = [
        f"{rule} ({summary}) on {len(places)} page views:\n" + "\n".join(places[:6])
        for (rule, summary), places in found.items()
    ]
    assert not report, "serious or critical violations:\n" + "\n".join(report)


# The contrast of the focus outline of the focused element with the background behind it
# (the nearest ancestor that paints one), by the WCAG relative-luminance formula.
FOCUS_CONTRAST = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const rgb = (color) => color.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  let behind = [255, 255, 255];
  for (let up = el.parentElement; up; up = up.parentElement) {
    const color = rgb(getComputedStyle(up).backgroundColor);
    if (color.length < 4 || color[3] > 0) { behind = color; break; }
  }
  const [a, b] = [luminance(rgb(style.outlineColor)), luminance(behind)];
  return {
    element: el.tagName.toLowerCase() + " " + (el.innerText || el.value || "").trim().slice(0, 20),
    width: parseFloat(style.outlineWidth),
    style: style.outlineStyle,
    contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
  };
}"""


def test_the_keyboard_focus_is_visible_at_three_to_one(desk):
    from techalign.demo import MAIN_TITLE
    from techalign.requirements.models import Requirement

    page = desk("lead_pm", "en").page
    weak = []
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        page.goto(f"/r/{Requirement.objects.get(title=MAIN_TITLE).key}/")
        if viewport is PHONE:  # unfold the menu, so that its links take the focus too
            page.locator(".menu-toggle").click()
            expect(page.locator(".topbar nav")).to_be_visible()
        page.locator("body").focus()
        for _ in range(25):
            page.keyboard.press("Tab")
            focus = page.evaluate(FOCUS_CONTRAST)
            if focus["style"] == "none" or focus["width"] < 2 or focus["contrast"] < 3:
                weak.append((viewport["width"], focus))
    assert not weak, f"focus outlines that are missing or under 3:1: {weak}"
