"""What a person chose but has not sent survives a neighbouring action's swap (web/app.js),
but only as a choice the new content still offers: a choice that is gone leaves the select
as the server rendered it, never blank or pointing at another option."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "techalign" / "web" / "static" / "web"
ORIGIN = "http://app.test"


def region(teams: list[str], chosen: str | None = None, multiple: bool = False) -> str:
    """The region a neighbouring action re-renders: a waiver form whose team select offers the
    parties not aligned yet, and the neighbouring action's own form."""
    options = "".join(
        f'<option value="{t}"{" selected" if t == chosen else ""}>{t}</option>' for t in teams
    )
    many = " multiple" if multiple else ""
    return (
        '<div id="region">'
        f'<form action="/waive" method="post"><select name="team"{many}>{options}</select></form>'
        '<form action="/attend" method="post" hx-post="/attend" hx-target="#region" '
        'hx-swap="outerHTML"><button type="submit">attended</button></form>'
        "</div>"
    )


@pytest.fixture
def page_with(browser):
    """A page holding `first`, whose neighbouring action answers with `after`."""
    context = browser.new_context()

    def open_page(first: str, after: str):
        page = context.new_page()
        scripts = {
            "/htmx.js": (STATIC / "vendor" / "htmx" / "htmx.min.js").read_text(),
            "/app.js": (STATIC / "app.js").read_text(),
        }
        html = (
            '<!doctype html><html><head><script src="/htmx.js"></script>'
            f'<script src="/app.js"></script></head><body>{first}</body></html>'
        )

        def answer(route):
            path = route.request.url[len(ORIGIN) :]
            if path in scripts:
                route.fulfill(body=scripts[path], content_type="text/javascript")
            elif path == "/attend":
                route.fulfill(body=after, content_type="text/html")
            else:
                route.fulfill(body=html, content_type="text/html")

        page.route(f"{ORIGIN}/**", answer)
        page.goto(f"{ORIGIN}/")
        return page

    yield open_page
    context.close()


def swap(page) -> None:
    """Send the neighbouring action and wait for its answer to replace the region."""
    page.click("text=attended")
    page.wait_for_function("!document.querySelector('#region option[value=cart]')")


def test_a_choice_still_offered_is_kept(page_with):
    page = page_with(region(["orders", "payments", "cart"]), region(["orders", "payments"]))
    page.select_option("select[name=team]", "payments")
    swap(page)
    assert page.eval_on_selector("select[name=team]", "s => s.value") == "payments"


def test_a_choice_no_longer_offered_leaves_the_select_as_rendered(page_with):
    """The cart team was chosen, then aligned by the neighbouring action: it is no longer
    offered, and the select shows the server's first option, not a blank one."""
    page = page_with(region(["orders", "payments", "cart"]), region(["orders", "payments"]))
    page.select_option("select[name=team]", "cart")
    swap(page)
    state = page.eval_on_selector("select[name=team]", "s => [s.value, s.selectedIndex]")
    assert state == ["orders", 0]

    page = page_with(
        region(["orders", "payments", "cart"]), region(["orders", "payments"], chosen="payments")
    )
    page.select_option("select[name=team]", "cart")
    swap(page)
    assert page.eval_on_selector("select[name=team]", "s => s.value") == "payments"


def test_a_multiple_choice_keeps_what_is_still_offered(page_with):
    page = page_with(
        region(["orders", "payments", "cart"], multiple=True),
        region(["orders", "payments"], multiple=True),
    )
    page.select_option("select[name=team]", ["payments", "cart"])
    swap(page)
    chosen = page.eval_on_selector(
        "select[name=team]", "s => Array.from(s.selectedOptions).map(o => o.value)"
    )
    assert chosen == ["payments"]
