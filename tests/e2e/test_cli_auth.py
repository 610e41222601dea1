"""``edgedeploy auth``: principals and tokens from the command line, and acting as a token.

The local OS user runs as admin (the embedded default), registers principals, issues tokens,
then acts through ``--token`` or ``EDGEDEPLOY_TOKEN`` as those principals.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from edgedeploy.entrypoints.cli import cli

LOGIN = pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture(name="home")
def fx_home(tmp_path):
    return tmp_path / "home"


@pytest.fixture(name="run")
def fx_run(home, monkeypatch):
    """Runs ``edgedeploy`` in-process against a fresh home; ``env`` adds variables."""
    monkeypatch.setenv("EDGEDEPLOY_HOME", str(home))
    monkeypatch.delenv("EDGEDEPLOY_TOKEN", raising=False)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None):
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return run


def _json(result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _token(run, principal: str, *options: str) -> str:
    created = _json(run("auth", "token", "create", principal, *options, "--json"))
    assert isinstance(created, dict)
    return str(created["token"])


def test_the_local_user_is_admin_by_default_and_registers_principals(run):
    me = _json(run("auth", "whoami", "--json"))
    assert me["name"] == LOGIN and me["kind"] == "os-user" and "admin" in me["roles"]
    assert me["token"] is None

    added = _json(run("auth", "principal", "add", "alice", "--role", "safety-reviewer",
                      "--role", "auditor", "--unit", "safety/assessment", "--json"))
    assert added == {**added, "name": "alice", "roles": ["auditor", "safety-reviewer"],
                     "unit": "safety/assessment", "disabled": False, "created_by": LOGIN}
    run("auth", "principal", "add", "ci", "--role", "engineer,viewer", "--json")

    listed = _json(run("auth", "principal", "list", "--json"))
    assert [p["name"] for p in listed] == ["alice", "ci"]
    table = run("auth", "principal", "list")
    assert table.exit_code == 0 and "alice" in table.stdout and "safety/assessment" in table.stdout

    changed = _json(run("auth", "principal", "change", "alice", "--role", "viewer",
                        "--disable", "--json"))
    assert changed["roles"] == ["viewer"] and changed["disabled"] is True
    assert changed["unit"] == "safety/assessment"


def test_a_token_acts_as_its_principal_limited_to_its_scope(run):
    run("auth", "principal", "add", "ci", "--role", "engineer", "--role", "viewer",
        "--unit", "eng/ci")
    secret = _token(run, "ci", "--scope", "viewer", "--expires-in", "30d", "--label", "nightly")
    assert secret.startswith("edt_")

    by_option = _json(run("--token", secret, "auth", "whoami", "--json"))
    by_env = _json(run("auth", "whoami", "--json", env={"EDGEDEPLOY_TOKEN": secret}))
    assert by_option == by_env
    assert by_option["name"] == "ci" and by_option["kind"] == "token"
    assert by_option["roles"] == ["viewer"] and by_option["unit"] == "eng/ci"
    assert by_option["token"]["scope"] == ["viewer"]
    assert by_option["token"]["label"] == "nightly"
    assert secret.split("_")[2] not in json.dumps(by_option)

    text = run("--token", secret, "auth", "whoami")
    assert text.exit_code == 0 and "ci (token)" in text.stdout and "scope viewer" in text.stdout


def test_token_create_prints_the_secret_once_with_a_warning(run):
    run("auth", "principal", "add", "ci", "--role", "engineer")
    created = run("auth", "token", "create", "ci", "--expires-in", "12h")
    assert created.exit_code == 0
    secret = created.stdout.strip()
    assert secret.startswith("edt_") and len(secret.splitlines()) == 1
    assert "shown only now" in created.stderr

    listed = run("auth", "token", "list", "ci", "--json")
    text = run("auth", "token", "list")
    for shown in (listed.stdout, text.stdout):
        assert secret not in shown and secret.split("_")[2] not in shown
        assert "sha256:" not in shown
    [token] = _json(listed)
    assert set(token) == {"token_id", "principal", "scope", "created_at", "created_by",
                          "expires_at", "revoked_at", "label"}
    assert secret.startswith(f"edt_{token['token_id']}_")


def test_a_revoked_token_is_refused_without_echoing_its_secret(run):
    run("auth", "principal", "add", "ci", "--role", "engineer")
    secret = _token(run, "ci")
    token_id = secret.split("_")[1]
    revoked = _json(run("auth", "token", "revoke", token_id, "--json"))
    assert revoked["revoked_at"] is not None

    refused = run("--token", secret, "auth", "whoami")
    assert refused.exit_code == 3
    assert "revoked" in refused.stderr and secret not in refused.output
    assert secret.split("_")[2] not in refused.output
    as_json = run("auth", "whoami", "--json", env={"EDGEDEPLOY_TOKEN": secret})
    assert as_json.exit_code == 3
    problem = json.loads(as_json.stdout)
    assert problem["type"] == "urn:problem:UNAUTHENTICATED" and secret not in as_json.stdout


def test_an_expired_token_is_refused(run):
    run("auth", "principal", "add", "ci", "--role", "engineer")
    secret = _token(run, "ci", "--expires-in", "1s")
    created = json.loads(run("auth", "token", "list", "ci", "--json").stdout)[0]
    expires = datetime.fromisoformat(created["expires_at"])
    # Wait past the recorded expiry itself, however slowly the commands above ran.
    while datetime.now(expires.tzinfo) <= expires:
        time.sleep(0.2)
    refused = run("--token", secret, "auth", "whoami")
    assert refused.exit_code == 3
    assert "expired" in refused.stderr and secret not in refused.output


def test_a_viewer_token_cannot_add_a_principal(run):
    run("auth", "principal", "add", "reader", "--role", "viewer")
    secret = _token(run, "reader")
    refused = run("--token", secret, "auth", "principal", "add", "mallory", "--role", "admin")
    assert refused.exit_code == 3
    assert "manage-principals" in refused.stderr and "admin" in refused.stderr
    names = [p["name"] for p in _json(run("auth", "principal", "list", "--json"))]
    assert names == ["reader"]
    # Nor another principal's tokens: listing all of them is an admin's.
    assert run("--token", secret, "auth", "token", "list").exit_code == 3
    own = _json(run("--token", secret, "auth", "token", "list", "reader", "--json"))
    assert [t["principal"] for t in own] == ["reader"]


@pytest.mark.parametrize(("args", "named"), [
    (("auth", "principal", "add", "bob", "--role", "pilot"), "roles are viewer, auditor"),
    (("auth", "token", "create", "bob", "--expires-in", "soon"), "e.g. 30d"),
    (("auth", "token", "create", "bob", "--expires-in", "0d"), "positive number"),
    (("auth", "token", "create", "bob", "--scope", "root"), "unknown role 'root'"),
    (("auth", "principal", "change", "bob"), "at least one of --role"),
])
def test_bad_input_exits_2_naming_the_problem(run, args, named):
    result = run(*args)
    assert result.exit_code == 2
    assert named in result.stderr


def test_a_token_for_an_unknown_principal_is_not_found(run):
    result = run("auth", "token", "create", "nobody", "--json")
    assert result.exit_code == 4
    assert json.loads(result.stdout)["type"] == "urn:problem:PRINCIPAL_NOT_FOUND"


def test_the_os_login_is_recorded_even_without_logname_or_user(home, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("LOGNAME", "USER", "USERNAME", "EDGEDEPLOY_TOKEN", "EDGEDEPLOY_ACTOR")}
    env["EDGEDEPLOY_HOME"] = str(home)
    command = [str(Path(sys.executable).with_name("edgedeploy"))]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command, *args], env=env, capture_output=True, text=True,
                              timeout=120, check=False)

    added = run("auth", "principal", "add", "ci", "--role", "engineer", "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["created_by"] == LOGIN
    me = json.loads(run("auth", "whoami", "--json").stdout)
    assert me["name"] == LOGIN != "unknown"

    import sqlite3

    with sqlite3.connect(home / "edgedeploy.db") as db:
        actors = {row[0] for row in db.execute(
            "select actor from audit_log where subject = 'principal:ci'")}
    assert actors == {LOGIN}


def test_the_token_secret_is_not_stored_in_the_database(run, home):
    run("auth", "principal", "add", "ci", "--role", "engineer")
    secret = _token(run, "ci", "--label", "ci")
    secret_part = secret.split("_", 2)[2]
    stored = b"".join(p.read_bytes() for p in home.glob("edgedeploy.db*"))
    assert stored, "the database was not written"
    assert secret.encode() not in stored and secret_part.encode() not in stored
    # Authentication still works from the salted hash alone.
    assert _json(run("--token", secret, "auth", "whoami", "--json"))["name"] == "ci"
