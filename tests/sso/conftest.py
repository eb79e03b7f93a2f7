"""Real company sign-in servers on loopback: npm's oidc-provider run by Debian's node, and
Debian's slapd with a small directory loaded from directory.ldif."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PROVIDER = HERE / "provider"
NODE = "/usr/bin/node"
SLAPD = "/usr/sbin/slapd"
LDAPADD = "/usr/bin/ldapadd"
SLAPPASSWD = "/usr/sbin/slappasswd"

CLIENT_ID = "techalign"
CLIENT_SECRET = "a-client-secret-for-tests-only"
# The company accounts the provider knows; the login on its form is the key.
ACCOUNTS = {
    "yan": {
        "preferred_username": "yan",
        "name": "Yan Ping",
        "email": "yan@corp.example",
        "email_verified": True,
        "groups": ["order-devs", "all-staff"],
    },
    "fang": {
        "preferred_username": "fang.corp",
        "name": "Fang (corp)",
        "email": "fang@corp.example",
        "email_verified": True,
        "groups": ["payments-pms"],
    },
    "mallory": {
        "preferred_username": "mallory",
        "name": "Mallory",
        "email": "ming@corp.example",
        "email_verified": False,
        "groups": ["order-devs"],
    },
    "charlie": {
        "preferred_username": "charlie",
        "name": "Charlie",
        "email": "charlie@corp.example",
        "email_verified": True,
        "groups": [],
    },
}
GROUP_ROLES = "order-devs=order:DEV,payments-pms=payments:PM,order-devs=committee:ARCHITECT"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port}:\n{log.read_text()}")


@dataclass
class Provider:
    issuer: str


@pytest.fixture(scope="session")
def oidc_provider(live_server) -> Iterator[Provider]:
    """oidc-provider on 127.0.0.1 with the ACCOUNTS above, for the live server's callback."""
    if not Path(NODE).exists():
        pytest.skip(f"{NODE} is missing (Debian package nodejs)")
    if not (PROVIDER / "node_modules" / "oidc-provider").exists():
        # `make install` does this; a fresh checkout run by hand does it here.
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PROVIDER, check=True)
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="oidc-provider-", suffix=".log")[1])
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PORT": str(port),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": f"{live_server.url}/oidc/callback/",
        "ACCOUNTS": json.dumps(ACCOUNTS),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [NODE, str(PROVIDER / "provider.mjs")], cwd=PROVIDER, env=env, stdout=out, stderr=out
        )
    try:
        wait_for_port(port, process, log)
        yield Provider(issuer=f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.unlink(missing_ok=True)


@pytest.fixture
def company_sign_in(settings, oidc_provider):
    """Company sign-in switched on against the test provider, with the group mapping."""
    settings.TECHALIGN_OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.TECHALIGN_OIDC_CLAIMS = {**settings.TECHALIGN_OIDC_CLAIMS, "groups": "groups"}
    settings.TECHALIGN_OIDC_GROUP_ROLES = GROUP_ROLES
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "techalign.sso.backends.CompanyAccountBackend",
    ]
    return oidc_provider


SUFFIX = "dc=corp,dc=example"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "a-directory-admin-password-for-tests-only"
SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {dir}/data
"""


@dataclass
class Directory:
    uri: str


@pytest.fixture(scope="session")
def ldap_server() -> Iterator[Directory]:
    """slapd on 127.0.0.1 in a temp dir of its own, loaded from directory.ldif with ldapadd."""
    for binary in (SLAPD, LDAPADD):
        if not Path(binary).exists():
            pytest.skip(f"{binary} is missing (Debian packages slapd and ldap-utils)")
    folder = Path(tempfile.mkdtemp(prefix="techalign-slapd-"))
    (folder / "data").mkdir()
    conf = folder / "slapd.conf"
    conf.write_text(
        SLAPD_CONF.format(dir=folder, suffix=SUFFIX, root_dn=ROOT_DN, root_password=ROOT_PASSWORD)
    )
    port = free_port()
    uri = f"ldap://127.0.0.1:{port}/"
    log = folder / "slapd.log"
    with log.open("w") as out:
        # -d keeps slapd in the foreground, so the test owns the process.
        process = subprocess.Popen(
            [SLAPD, "-f", str(conf), "-h", uri, "-d", "0"], stdout=out, stderr=out
        )
    try:
        wait_for_port(port, process, log)
        subprocess.run(
            [
                LDAPADD,
                "-x",
                "-H",
                uri,
                "-D",
                ROOT_DN,
                "-w",
                ROOT_PASSWORD,
                "-f",
                str(HERE / "directory.ldif"),
            ],
            check=True,
            capture_output=True,
        )
        yield Directory(uri=uri)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def directory_sign_in(settings, ldap_server):
    """Directory sign-in switched on against the test slapd, with the group mapping."""
    from techalign.sso.directory import directory_settings

    values = directory_settings(
        {
            "TECHALIGN_LDAP_BIND_DN": ROOT_DN,
            "TECHALIGN_LDAP_BIND_PASSWORD": ROOT_PASSWORD,
            "TECHALIGN_LDAP_USER_BASE": f"ou=people,{SUFFIX}",
            "TECHALIGN_LDAP_GROUP_BASE": f"ou=groups,{SUFFIX}",
        }
    )
    for name, value in values.items():
        setattr(settings, name, value)
    settings.AUTH_LDAP_SERVER_URI = ldap_server.uri
    settings.TECHALIGN_LDAP_GROUP_ROLES = GROUP_ROLES
    backends = list(settings.AUTHENTICATION_BACKENDS)
    backends.insert(1, "techalign.sso.backends.DirectoryBackend")
    settings.AUTHENTICATION_BACKENDS = backends
    return ldap_server
