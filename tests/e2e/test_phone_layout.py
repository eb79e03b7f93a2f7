"""Every page fits a 390 px phone and a 1440 px desktop, in Chinese and in English.

Each page is walked by one of the demo personas (tests/e2e/pages.py); a page wider than its
viewport is reported with the elements that stick out, and pictured in test-artifacts/pages/
(every page at both widths with TECHALIGN_SCREENSHOTS=all). The top bar folds into a menu on a
phone: a disclosure button that the keyboard can work, and without JavaScript the menu stays
unfolded.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import (
    DESKTOP,
    EVERY_SCREENSHOT,
    LANGUAGES,
    PHONE,
    SCREENSHOTS,
    discover,
    overflow,
    screenshot,
    unfold,
    walk,
)

# What a browser draws is the same on either database (see tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.one_database]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_fits_a_phone_and_a_desktop(browser, demo, language):
    pages = discover()
    too_wide: list[str] = []
    squeezed: list[str] = []

    def check(tab, where, language, viewport):
        found = overflow(tab)
        if found:
            too_wide.append(
                f"{where.name} ({where.path}) {language} at {viewport['width']} px: "
                f"{found['scrollWidth']} px wide; sticking out: {found['culprits']}"
            )
        titles = per_character_titles(tab)
        for title in titles:
            squeezed.append(f"{where.name} {language} at {viewport['width']} px: {title}")
        if found or titles or EVERY_SCREENSHOT:
            screenshot(tab, where, language, viewport)
        if viewport is DESKTOP:  # last: the folded editors fit as well, once opened
            unfold(tab)
            for width in (DESKTOP, PHONE):
                tab.set_viewport_size(width)
                found = overflow(tab)
                if found:
                    too_wide.append(
                        f"{where.name} ({where.path}) {language}, editors open, at "
                        f"{width['width']} px: {found['scrollWidth']} px wide; "
                        f"sticking out: {found['culprits']}"
                    )

    walk(browser, demo.url, pages, check, languages=(language,))
    assert not too_wide, "pages wider than the viewport:\n" + "\n".join(too_wide)
    assert not squeezed, "titles wrapped one character per line:\n" + "\n".join(squeezed)


# Titles, names and headings squeezed so narrow that they wrap after (nearly) every character:
# a box less than three characters wide holding a longer text.
PER_CHARACTER = """() => {
  const found = [];
  const selector = "h1, h2, h3, th, td, a, .badge, .topbar *, .tabs a, .stepper li, label";
  for (const el of document.querySelectorAll(selector)) {
    const text = (el.innerText || "").trim();
    if (text.length < 4 || el.getClientRects().length === 0) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.width < 2.5 * size && box.height > 3 * size * 1.2) {
      found.push(`${el.tagName.toLowerCase()} "${text.slice(0, 30)}" ${Math.round(box.width)} px`);
    }
  }
  return found.slice(0, 5);
}"""


def per_character_titles(tab) -> list[str]:
    return tab.evaluate(PER_CHARACTER)


def test_the_navigation_folds_into_a_menu_on_a_phone(desk):
    page = desk("lead_pm", "en").page
    toggle = page.locator(".topbar button[aria-controls=menu]")
    requirements_link = page.locator(".topbar nav a[href='/requirements/']")

    page.set_viewport_size(PHONE)
    page.goto("/")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(requirements_link).to_be_hidden()

    # Keyboard: the button is reached by Tab and opened with Enter; Escape folds it again.
    page.locator(".brand").focus()
    page.keyboard.press("Tab")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(requirements_link).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator(".topbar nav a").first).to_be_focused()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "menu-open-en-390.png"))
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(requirements_link).to_be_hidden()
    expect(toggle).to_be_focused()

    # A click opens it too, and the link in it leads on.
    toggle.click()
    requirements_link.click()
    page.wait_for_url("**/requirements/")
    expect(toggle).to_have_attribute("aria-expanded", "false")

    # On a desktop there is no menu button: the navigation is always shown.
    page.set_viewport_size(DESKTOP)
    expect(toggle).to_be_hidden()
    expect(requirements_link).to_be_visible()


def test_without_javascript_the_phone_menu_stays_unfolded(browser, demo):
    from techalign.demo import DEMO_PASSWORD, PERSONAS

    context = browser.new_context(base_url=demo.url, viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", PERSONAS["lead_pm"])
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        expect(page.locator(".topbar button[aria-controls=menu]")).to_be_hidden()
        expect(page.locator(".topbar nav a[href='/requirements/']")).to_be_visible()
        assert overflow(page) is None
    finally:
        context.close()
