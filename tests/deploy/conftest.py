"""The integrity tests' stage (real servers against the test's data) and committed personas."""

from tests.integrity.conftest import stage, tw  # noqa: F401
