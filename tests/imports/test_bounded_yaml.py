"""YAML in imports is read within limits but otherwise as PyYAML's safe loader reads it:
anchors for sharing stay usable, and a file that is not YAML is a problem with its line."""

import datetime as dt

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from techalign.core import safe_yaml
from techalign.core.errors import Refused
from techalign.org.catalog import ImportProblems, backstage_changes

# Printable text: libyaml, used where installed, folds a few control and line-break characters
# (NEL, for one) that PyYAML keeps; no catalog or front matter techalign writes holds them raw.
texts = st.text(st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=30)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | texts
    | st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1))
)
data = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(data)
def test_plain_data_reads_back_as_the_safe_loader_reads_it(value):
    text = yaml.safe_dump(value, allow_unicode=True)
    assert safe_yaml.load(text, file="x.yaml") == yaml.safe_load(text) == value


def test_an_escaped_surrogate_libyaml_refuses_reads_as_pyyaml_reads_it():
    assert safe_yaml.load('k: "\\ud800"', file="x.yaml") == {"k": "\ud800"}


def test_anchors_that_share_a_block_are_still_imported(db):
    text = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: trade}
spec: {type: department}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: order
  title: &name 订单组
spec:
  type: team
  parent: trade
  profile: {displayName: *name}
"""
    changes = backstage_changes([("catalog-info.yaml", text)])
    assert [str(c) for c in changes.changes if c.model == "team"] == [
        "create team order (name=订单组, department_code=trade, is_committee=False)",
    ]


def test_a_value_yaml_cannot_build_is_a_problem_with_its_line_not_a_traceback(db):
    text = (
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: x\n  on: 2024-13-45\n"
    )
    with pytest.raises(ImportProblems) as problems:
        backstage_changes([("catalog-info.yaml", text)])
    assert [str(p) for p in problems.value.problems] == [
        "catalog-info.yaml:1: not valid YAML: month must be in 1..12"
    ]


@pytest.mark.parametrize(
    "text, what",
    [
        ("a: &a [1, 2]\nb: [*a, *a]\n" + "c: [" + ", ".join(["*a"] * 50_000) + "]\n", "values"),
        ("- " * 40 + "x\n", "levels of nesting"),
    ],
)
def test_limits_are_checked_before_a_node_is_built(text, what):
    with pytest.raises(Refused) as refused:
        safe_yaml.load(text, file="x.yaml")
    assert refused.value.code == "import.yaml_too_complex"
    assert what in str(refused.value.details["what"])
