"""A whole-number setting from the environment: unset or empty gives the default, a number is
read, and anything else stops the start naming the variable (not a bare ValueError)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from techalign.settings import _env_int


@pytest.mark.parametrize(
    ("given", "read"), [(None, 32), ("", 32), ("  ", 32), ("0", 0), ("64", 64)]
)
def test_a_number_or_nothing_is_read(monkeypatch, given, read):
    if given is None:
        monkeypatch.delenv("TECHALIGN_KEPT_ANSWERS_MB", raising=False)
    else:
        monkeypatch.setenv("TECHALIGN_KEPT_ANSWERS_MB", given)
    assert _env_int("TECHALIGN_KEPT_ANSWERS_MB", 32) == read


@pytest.mark.parametrize("given", ["abc", "-5", "1.5", "1e3", "²", "3\x01"])
def test_anything_else_names_the_variable(monkeypatch, given):
    monkeypatch.setenv("TECHALIGN_KEPT_ANSWERS_MB", given)
    with pytest.raises(ImproperlyConfigured, match="TECHALIGN_KEPT_ANSWERS_MB"):
        _env_int("TECHALIGN_KEPT_ANSWERS_MB", 32)
