"""Fixtures for the plugin tests, and the example plugin distributions they need.

The example distributions under ``tests/plugins/example_*`` are installed into
``build/test-plugins`` (``make test`` does it; a bare ``pytest`` run does it here when they are
missing), never into the virtualenv users run: pytest's ``pythonpath`` puts that directory on
``sys.path``, so ``importlib.metadata`` finds their entry points in tests only.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugins.example_models import TrainedExample, outlier_example

ROOT = Path(__file__).resolve().parents[2]
TEST_PLUGINS = ROOT / "build" / "test-plugins"
EXAMPLES = sorted(p.parent for p in Path(__file__).parent.glob("example_*/pyproject.toml"))


def _installed(example: Path) -> bool:
    name = next(line.split("=", 1)[1].strip().strip('"') for line in
                (example / "pyproject.toml").read_text(encoding="utf-8").splitlines()
                if line.startswith("name"))
    stem = name.replace("-", "_")
    infos = list(TEST_PLUGINS.glob(f"{stem}-*.dist-info"))
    newest_source = max(p.stat().st_mtime for p in example.rglob("*")
                        if p.is_file() and ".egg-info" not in str(p))
    return bool(infos) and infos[0].stat().st_mtime >= newest_source


def install_examples() -> None:
    """Install every example distribution into ``build/test-plugins`` unless it is current."""
    stale = [e for e in EXAMPLES if not _installed(e)]
    if not stale:
        return
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--disable-pip-version-check", "--upgrade",
                    "--target", str(TEST_PLUGINS), *map(str, stale)], check=True)
    if str(TEST_PLUGINS) not in sys.path:
        sys.path.append(str(TEST_PLUGINS))
    importlib.invalidate_caches()


install_examples()


@pytest.fixture(name="outlier_model", scope="session")
def fx_outlier_model(small_example: TrainedExample,
                     tmp_path_factory: pytest.TempPathFactory) -> Path:
    return outlier_example(small_example, tmp_path_factory.getbasetemp())
