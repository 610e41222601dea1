"""The installed layout: every source folder ships under the ``edgedeploy`` namespace."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAPPED = ("domain", "application", "adapters", "plugins", "entrypoints", "alembic", "examples")


def _declared() -> tuple[set[str], dict[str, str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    return set(setuptools["packages"]), setuptools["package-dir"]


def test_every_folder_with_python_code_or_data_is_a_declared_package() -> None:
    declared, _ = _declared()
    found = set()
    for top in MAPPED:
        for folder in [ROOT / top, *(p for p in (ROOT / top).rglob("*") if p.is_dir())]:
            if folder.name in {"__pycache__", "templates"}:
                continue
            if any(f.is_file() for f in folder.iterdir()):
                found.add("edgedeploy." + ".".join(folder.relative_to(ROOT).parts))
    assert found - declared == set(), "folders missing from [tool.setuptools] packages"
    assert declared - found == set(), "declared packages that no longer exist"


def test_each_top_level_folder_maps_to_its_namespaced_name() -> None:
    _, package_dir = _declared()
    assert package_dir == {f"edgedeploy.{top}": top for top in MAPPED}


def test_no_module_imports_a_top_level_name_outside_the_namespace() -> None:
    offenders = []
    for top in MAPPED[:5]:
        for path in (ROOT / top).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                words = line.strip().split()
                if len(words) >= 2 and words[0] in {"from", "import"} \
                        and words[1].split(".")[0] in MAPPED[:5]:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []
