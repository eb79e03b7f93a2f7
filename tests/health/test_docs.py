"""The rule reference in docs/ is the one the rules generate, and every rule is complete."""

from pathlib import Path

from techalign.health.docs import BEGIN, END, rules_markdown
from techalign.health.models import HealthSettings
from techalign.health.rules import RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "health-rules.md"


def test_docs_hold_the_generated_rule_reference():
    text = DOC.read_text()
    generated = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert generated.strip() == rules_markdown().strip(), "run: techalign lint --rules-markdown"


def test_every_rule_speaks_both_languages_and_names_real_thresholds():
    settings_fields = {f.name for f in HealthSettings._meta.get_fields()}
    assert len(RULES) >= 13
    for code, rule in RULES.items():
        assert code.startswith("TA") and rule.code == code
        assert "default" in rule.messages
        for text in [rule.title, rule.prevents, rule.fix, *rule.messages.values()]:
            assert text.en.strip() and text.zh.strip()
        assert set(rule.thresholds) <= settings_fields
