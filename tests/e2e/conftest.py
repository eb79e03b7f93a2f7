"""Real Chromium (the `browser` fixture of tests/conftest.py) against a live server holding the
demo organisation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"


@pytest.fixture
def demo(transactional_db, live_server):
    """The demo organisation, loaded through the services, served at `live_server.url`."""
    from techalign.demo import load_demo

    load_demo()
    return live_server


class Desk:
    """One persona at their own browser (separate cookies), signed in to the demo."""

    def __init__(
        self,
        browser,
        base_url: str,
        username: str,
        language: str,
        password: str = "",
        *,
        java_script_enabled: bool = True,
    ) -> None:
        from techalign.demo import DEMO_PASSWORD

        self.context = browser.new_context(
            base_url=base_url,
            viewport={"width": 1360, "height": 900},
            locale="zh-CN",
            java_script_enabled=java_script_enabled,
        )
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.page.goto("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password or DEMO_PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(lambda url: "/accounts/login/" not in url)
        if language != "zh-hans":
            self.page.click(f"button[name=language][value={language}]")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def desk(browser, demo) -> Iterator:
    """`desk("lead_pm")` -> that persona signed in, in Chinese unless another language is given."""
    from techalign.demo import PERSONAS

    opened: list[Desk] = []

    def sign_in(persona: str, language: str = "zh-hans") -> Desk:
        opened.append(Desk(browser, demo.url, PERSONAS[persona], language))
        return opened[-1]

    yield sign_in
    for open_desk in opened:
        open_desk.close()
