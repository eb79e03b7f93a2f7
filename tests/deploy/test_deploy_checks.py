"""`techalign check --deploy` names the settings a company-scale installation gets wrong."""

import os
import subprocess
import sys

import pytest

from tests.test_deploy_check import PRODUCTION


def check_deploy(tmp_path, **overrides: str) -> str:
    test_only = {"DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in test_only}
    env.update(PRODUCTION, TECHALIGN_VAR_DIR=str(tmp_path))
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    result = subprocess.run(
        [sys.executable, "-m", "techalign.cli", "check", "--deploy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize(
    "overrides, warning",
    [({"TECHALIGN_NODES": "2"}, "techalign.W101"), ({"DEBUG": "1"}, "techalign.W102")],
    ids=["sqlite-on-two-nodes", "debug-on-public-host"],
)
def test_each_misconfiguration_is_named_by_its_id(tmp_path, overrides, warning):
    output = check_deploy(tmp_path, **overrides)

    assert [w for w in ("W101", "W102") if f"techalign.{w}" in output] == [warning[-4:]], output


def test_several_gunicorn_workers_on_sqlite_are_fine(tmp_path):
    output = check_deploy(tmp_path, WEB_CONCURRENCY="4", TECHALIGN_NODES="1")

    assert "techalign.W1" not in output


def test_several_nodes_on_postgresql_are_fine(tmp_path):
    output = check_deploy(
        tmp_path, TECHALIGN_NODES="3", DATABASE_URL="postgres://techalign@127.0.0.1:5432/techalign"
    )

    assert "techalign.W101" not in output


def test_debug_on_loopback_only_is_a_developer_machine(tmp_path):
    output = check_deploy(tmp_path, DEBUG="1", ALLOWED_HOSTS="127.0.0.1,localhost")

    assert "techalign.W102" not in output
