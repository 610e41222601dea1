"""The built wheel works on its own: a fresh virtual environment, outside the source tree.

Installing puts the layers under ``edgedeploy.*`` and ships the migrations and the bundled
example as package data; this test proves it by building the wheel, installing it with its
declared dependencies into a new environment and running a short release-engineer session
from an unrelated working directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from edgedeploy.adapters.sql import shipped_head

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("domain", "application", "adapters", "plugins", "entrypoints", "alembic", "examples")

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900,
                          check=False)


@pytest.fixture(name="installed", scope="module")
def fx_installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment holding only the wheel and its declared dependencies."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in SOURCES:
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = base / "dist"
    built = _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                  "--no-build-isolation", "--wheel-dir", str(dist), str(source)],
                 cwd=base, env=dict(os.environ))
    assert built.returncode == 0, built.stderr
    wheel = next(dist.glob("edgedeploy-*.whl"))
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    installed = _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)],
                     cwd=base, env=dict(os.environ))
    assert installed.returncode == 0, installed.stderr
    return env_dir


@pytest.fixture(name="session_env")
def fx_session_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("EDGEDEPLOY_") and k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["EDGEDEPLOY_HOME"] = str(tmp_path / "home")
    return env


def test_the_wheel_holds_every_layer_under_the_edgedeploy_namespace(installed: Path,
                                                                     tmp_path: Path,
                                                                     session_env: dict[str, str]
                                                                     ) -> None:
    probe = _run([str(installed / "bin" / "python"), "-c",
                  "import importlib.util as u, json; print(json.dumps({n: bool(u.find_spec(n)) "
                  "for n in ['edgedeploy.domain', 'edgedeploy.entrypoints.cli', 'domain', "
                  "'entrypoints']}))"], cwd=tmp_path, env=session_env)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == {"edgedeploy.domain": True,
                                        "edgedeploy.entrypoints.cli": True,
                                        "domain": False, "entrypoints": False}


def test_an_installed_edgedeploy_migrates_and_traces_from_any_directory(
        installed: Path, tmp_path: Path, session_env: dict[str, str]) -> None:
    cli = str(installed / "bin" / "edgedeploy")
    doctor = _run([cli, "doctor", "--json"], cwd=tmp_path, env=session_env)
    assert doctor.returncode in (0, 3), doctor.stderr
    upgrade = _run([cli, "db", "upgrade"], cwd=tmp_path, env=session_env)
    assert upgrade.returncode == 0, upgrade.stderr
    assert f"revision {shipped_head()}" in upgrade.stdout
    example = _run([str(installed / "bin" / "python"), "-c",
                    "import edgedeploy.adapters.sql.migrate as m, pathlib; "
                    "print(pathlib.Path(m.__file__).parents[2] / 'examples' / 'aeb' / "
                    "'requirements.reqif')"],
                   cwd=tmp_path, env=session_env).stdout.strip()
    assert Path(example).is_file(), "the bundled example is not shipped in the wheel"
    imported = _run([cli, "trace", "import", example, "--json"], cwd=tmp_path, env=session_env)
    assert imported.returncode == 0, imported.stderr
    assert "SYS-AEB-001" in json.loads(imported.stdout)["created"]
    forward = _run([cli, "trace", "forward", "SYS-AEB-001", "--json"], cwd=tmp_path,
                   env=session_env)
    assert forward.returncode == 0, forward.stderr
    assert "ML-AEB-002" in json.loads(forward.stdout)["items"]
    gate = _run([cli, "trace", "gate", "aeb-perception@1.0.0"], cwd=tmp_path, env=session_env)
    assert gate.returncode == 4, "an unregistered model version is reported as not found"
