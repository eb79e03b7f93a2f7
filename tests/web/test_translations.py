"""Every refusal reads in Chinese with the same placeholders, and pages follow the language.

Needs the compiled catalog (`techalign compilemessages`, run by `make install`)."""

import re
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from techalign.core.refusals import REFUSALS
from tests.factories import advance

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_every_refusal_message_is_translated_with_its_placeholders(code):
    source = REFUSALS[code].message
    with translation.override("zh-hans"):
        chinese = translation.gettext(source)
    assert chinese != source, f"{code} has no Chinese translation"
    assert set(PLACEHOLDER.findall(chinese)) == set(PLACEHOLDER.findall(source))


def test_pages_are_in_chinese_by_default_and_english_on_request(w, as_user):
    req = advance(w, "planning")
    chinese = as_user(w.ming, "zh-hans").get(reverse("web:plan", args=[req.key])).content
    assert "下一步由谁处理" in chinese.decode() and "场景覆盖" in chinese.decode()
    english = as_user(w.ming, "en").get(reverse("web:plan", args=[req.key])).content
    assert "Who must act next" in english.decode() and "Coverage" in english.decode()


def test_a_refusal_is_shown_in_the_users_language(w, as_user):
    req = advance(w, "planning")
    response = as_user(w.ming, "zh-hans").post(
        reverse("web:do", args=[req.key, "add_item"]),
        {"component": w.order_service.key, "kind": "api_change", "title": "x", "based_on": 3},
        HTTP_HX_REQUEST="true",
    )
    assert "只有订单组的开发才能编辑技术方案；ming不是。" in response.content.decode()


def test_the_chinese_catalog_passes_msgfmt_check():
    """Plural entries have exactly the forms zh-Hans has (one), and the header is complete:
    a catalog msgfmt refuses would stop `make install` from compiling it."""
    catalog = Path(__file__).parents[2] / "techalign/locale/zh_Hans/LC_MESSAGES/django.po"
    checked = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(catalog)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
