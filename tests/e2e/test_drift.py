"""Drift monitoring through the CLI and the API, against the real SQL store."""

from __future__ import annotations

import json

import numpy as np


def _write_npz(path, rows, names):
    np.savez(path, features=rows, feature_names=np.array(names))
    return path


def test_a_drifted_stream_escalates_with_the_feature_named_and_feedback_adapts(cli, tmp_path):
    rng = np.random.default_rng(7)
    names = [f"f{i}" for i in range(6)]
    reference = _write_npz(tmp_path / "ref.npz", rng.normal(size=(1000, 6)), names)
    result = cli("drift", "fit", str(reference), "--deployment", "aeb-eu", "--json")
    assert result.exit_code == 0, result.output

    clean = rng.normal(size=(500, 6))
    clean_path = tmp_path / "clean.csv"
    clean_path.write_text(",".join(names) + "\n" + "\n".join(
        ",".join(f"{v:.6f}" for v in row) for row in clean))
    verdict = json.loads(cli("drift", "check", str(clean_path), "--deployment", "aeb-eu",
                             "--json").stdout)
    assert verdict["severity"] == "normal"

    severities = []
    for _ in range(4):
        shifted = rng.normal(size=(500, 6))
        shifted[:, 3] += 1.0
        window = _write_npz(tmp_path / "w.npz", shifted, names)
        verdict = json.loads(cli("drift", "check", str(window), "--deployment", "aeb-eu",
                                 "--json").stdout)
        severities.append(verdict["severity"])
        assert verdict["attributions"][0]["feature"] == "f3"
    assert severities[0] == "watch"
    assert severities[2] == "warning"

    fed = cli("drift", "feedback", verdict["id"], "confirmed", "--by", "analyst", "--json")
    assert fed.exit_code == 0, fed.output
    record = json.loads(fed.stdout)
    assert dict(record["weights_after"]) != dict(record["weights_before"])

    report = json.loads(cli("drift", "report", "--json").stdout)
    assert [len(d["verdicts"]) for d in report["deployments"]] == [5]


def test_a_window_with_the_wrong_width_is_refused_and_nothing_is_stored(cli, tmp_path):
    rng = np.random.default_rng(1)
    reference = _write_npz(tmp_path / "ref.npz", rng.normal(size=(600, 4)),
                           ["a", "b", "c", "d"])
    assert cli("drift", "fit", str(reference), "--deployment", "d1").exit_code == 0
    bad = _write_npz(tmp_path / "bad.npz", rng.normal(size=(300, 3)), ["a", "b", "c"])
    result = cli("drift", "check", str(bad), "--deployment", "d1")
    assert result.exit_code == 3
    assert "DRIFT_WINDOW_FEATURE_COUNT" in result.output
    assert json.loads(cli("drift", "report", "--json").stdout)["deployments"] == []


def test_windows_are_judged_over_http_and_bad_ones_are_problems(client):
    rng = np.random.default_rng(3)
    fit = client.post("/api/v1/drift/aeb-us/reference",
                      json={"rows": rng.normal(size=(800, 5)).tolist()})
    assert fit.status_code == 201, fit.text
    window = client.post("/api/v1/drift/aeb-us/windows",
                         json={"rows": rng.normal(size=(400, 5)).tolist()})
    assert window.status_code == 201, window.text
    assert window.json()["severity"] == "normal"
    rows = rng.normal(size=(400, 5)).tolist()
    rows[0][0] = float("inf")
    refused = client.post("/api/v1/drift/aeb-us/windows",
                          content=json.dumps({"rows": rows}).replace("Infinity", "1e999"),
                          headers={"content-type": "application/json"})
    assert refused.status_code in (400, 422)
    assert refused.headers["content-type"].startswith("application/problem+json")
    unknown = client.post("/api/v1/drift/nowhere/windows", json={"rows": [[0.0]] * 100})
    assert unknown.status_code == 404
    report = client.get("/api/v1/drift/report", params={"deployment": "aeb-us"})
    assert report.status_code == 200
    assert len(report.json()["deployments"][0]["verdicts"]) == 1
