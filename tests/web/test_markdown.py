"""Markdown in stories, processes and item descriptions renders, and never carries script."""

import re

from techalign.core.markdown import render_markdown


def test_markdown_renders_headings_lists_tables_and_links():
    html = render_markdown(
        "## 流程\n\n- 下单\n- **退款**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[doc](https://example.com)"
    )
    assert "<h2>流程</h2>" in html
    assert "<li><strong>退款</strong></li>" in html
    assert "<td>1</td>" in html
    assert 'href="https://example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_script_tags_and_event_handlers_never_survive():
    html = render_markdown(
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        '<a href="https://x" onclick="alert(1)">x</a>'
    )
    assert "<script" not in html
    assert "<img" not in html
    assert not re.search(r"<a [^>]*onclick", html)
    assert "&lt;script&gt;" in html  # shown as the text the user typed


def test_only_http_https_and_mailto_links_are_kept():
    html = render_markdown(
        "[a](javascript:alert(1)) [b](data:text/html,x) [c](mailto:pm@example.com) [d](http://x.y)"
    )
    assert 'href="javascript' not in html and 'href="data' not in html
    assert 'href="mailto:pm@example.com"' in html
    assert 'href="http://x.y"' in html


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""
