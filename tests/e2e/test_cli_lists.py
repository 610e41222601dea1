"""The ``list`` commands, ``--json`` on every result, and tables that never cut identifiers.

All against a fresh home: real SQLite, the on-disk trace store, a simulated fleet.
"""

from __future__ import annotations

import io
import json
import re

import numpy as np
from rich.console import Console

from edgedeploy.entrypoints.cli.output import new_table, print_table
from tests.e2e.conftest import EXAMPLE
from tests.e2e.test_rollout_cli_http import (  # the seeded release and its fleet
    BASELINE,
    READY,
    fx_fleet_file,  # noqa: F401
    fx_seeded_home,  # noqa: F401
)
from tests.fakes.onnx_models import build_classifier

LONG_ID = "SYS-" + "-".join(f"braking{i:02d}" for i in range(12))  # 123 characters


def _requirements(tmp_path):
    spec = tmp_path / "reqs.yaml"
    spec.write_text(
        "requirements:\n"
        f"  - {{id: {LONG_ID}, title: Brake for pedestrians, asil: C, level: system}}\n"
        "  - {id: MLR-1, title: Detect pedestrians, asil: B, level: ml}\n"
        "  - {id: MLR-2, title: Detect cyclists, asil: C, level: ml}\n"
        "links:\n"
        f"  - {{source: {LONG_ID}, relation: derives, target: MLR-1}}\n")
    return spec


def test_trace_list_shows_requirements_in_document_order_and_filters_them(cli, tmp_path):
    assert cli("trace", "import", str(_requirements(tmp_path))).exit_code == 0
    listed = json.loads(cli("trace", "list", "--json").stdout)
    assert [r["id"] for r in listed] == [LONG_ID, "MLR-1", "MLR-2"]
    only_c = json.loads(cli("trace", "list", "--asil", "C", "--level", "ml", "--json").stdout)
    assert [r["id"] for r in only_c] == ["MLR-2"]
    assert cli("trace", "list", "--asil", "E").exit_code == 2


def test_tables_keep_long_identifiers_whole_when_piped(cli, tmp_path):
    assert cli("trace", "import", str(_requirements(tmp_path))).exit_code == 0
    for args in (("trace", "list"), ("trace", "report")):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert LONG_ID in result.output, result.output
        assert "…" not in result.output


def test_models_list_prints_the_whole_digest(cli, tmp_path):
    model = build_classifier(tmp_path / "aeb.onnx", 1.0)
    registered = json.loads(cli("models", "register", "aeb@1.0.0", str(model), "--json").stdout)
    digest = registered["digest"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    table = cli("models", "list")
    assert digest in table.output and "…" not in table.output
    assert [m["digest"] for m in json.loads(cli("models", "list", "--json").stdout)] == [digest]
    assert json.loads(cli("models", "list", "--name", "other", "--json").stdout) == []


def test_on_a_narrow_terminal_cells_fold_instead_of_ending_in_an_ellipsis():
    out = io.StringIO()
    console = Console(file=out, width=40, force_terminal=True, color_system=None)
    table = new_table(None, "Requirement")
    table.add_row(LONG_ID)
    print_table(console, table)
    text = out.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "".join(re.sub(r"[│┃|\s]", "", line) for line in text.splitlines()
                   if "─" not in line and "━" not in line) == "Requirement" + LONG_ID


def test_drift_list_gives_verdict_ids_and_filters_by_severity(cli, tmp_path):
    rng = np.random.default_rng(11)
    names = [f"f{i}" for i in range(4)]
    reference = tmp_path / "ref.npz"
    np.savez(reference, features=rng.normal(size=(800, 4)), feature_names=np.array(names))
    assert cli("drift", "fit", str(reference), "--deployment", "aeb-eu").exit_code == 0
    seen = []
    for shift in (0.0, 1.5, 1.5):
        rows = rng.normal(size=(400, 4))
        rows[:, 1] += shift
        window = tmp_path / "w.npz"
        np.savez(window, features=rows, feature_names=np.array(names))
        seen.append(json.loads(cli("drift", "check", str(window), "--deployment", "aeb-eu",
                                   "--json").stdout))
    listed = json.loads(cli("drift", "list", "--json").stdout)
    assert [v["id"] for v in listed] == [v["id"] for v in seen]
    assert json.loads(cli("drift", "list", "--limit", "1", "--json").stdout)[0]["id"] == \
        seen[-1]["id"]
    above_normal = json.loads(cli("drift", "list", "--at-least", "watch", "--json").stdout)
    assert [v["id"] for v in above_normal] == [v["id"] for v in seen
                                               if v["severity"] != "normal"]
    table = cli("drift", "list", "--deployment", "aeb-eu")
    assert all(v["id"] in table.output for v in seen)
    assert cli("drift", "list", "--limit", "0").exit_code == 2


def test_rollout_list_shows_each_rollout_with_its_id(cli, seeded_home, fleet_file, monkeypatch):
    monkeypatch.setenv("EDGEDEPLOY_HOME", str(seeded_home))
    started = json.loads(cli("deploy", str(READY), "--fleet", str(fleet_file), "--baseline",
                             str(BASELINE), "--no-wait", "--json").stdout)
    listed = json.loads(cli("rollout", "list", "--json").stdout)
    assert [r["rollout_id"] for r in listed] == [started["rollout_id"]]
    assert listed[0]["model"] == str(READY)
    assert json.loads(cli("rollout", "list", "--phase", "completed", "--json").stdout) == []
    assert json.loads(cli("rollout", "list", "--fleet", "elsewhere", "--json").stdout) == []
    table = cli("rollout", "list")
    assert started["rollout_id"] in table.output and str(READY) in table.output


def test_export_and_db_upgrade_answer_in_json(cli, tmp_path):
    assert cli("trace", "import", str(EXAMPLE)).exit_code == 0
    target = tmp_path / "trace.ttl"
    exported = json.loads(cli("trace", "export", "--format", "turtle", "-o", str(target),
                              "--json").stdout)
    assert exported["bytes"] == target.stat().st_size > 0
    assert exported["format"] == "turtle" and exported["digest"].startswith("sha256:")
    upgraded = json.loads(cli("db", "upgrade", "--json").stdout)
    assert upgraded["revision"]


def test_a_malformed_version_in_a_fleet_baseline_is_invalid_input(cli, fleet_file):
    result = cli("deploy", str(READY), "--fleet", str(fleet_file), "--baseline", "0.9.0")
    assert result.exit_code == 2
    assert "NAME@VERSION" in result.output
