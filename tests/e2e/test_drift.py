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

    fed = cli("drift", "feedback", verdict["id"], "confirmed", "--json")
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
    assert result.exit_code == 2
    assert "DRIFT_WINDOW_COLUMNS" in result.output and "d" in result.output
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


def _csv(path, names, rows):
    header = ",".join(names) + "\n" if names else ""
    path.write_text(header + "\n".join(",".join(f"{v:.6f}" for v in row) for row in rows))
    return path


def test_reordered_csv_columns_give_the_same_verdict_and_a_headerless_csv_needs_the_flag(
        cli, tmp_path):
    rng = np.random.default_rng(12)
    names = ["speed", "yaw", "range"]
    reference = _write_npz(tmp_path / "ref.npz", rng.normal(size=(800, 3)), names)
    assert cli("drift", "fit", str(reference), "--deployment", "d2").exit_code == 0
    window = rng.normal(size=(400, 3))
    window[:, 2] += 1.0
    plain = _csv(tmp_path / "plain.csv", names, window)
    reordered = _csv(tmp_path / "reordered.csv", names[::-1], window[:, ::-1])
    first = json.loads(cli("drift", "check", str(plain), "--deployment", "d2", "--json").stdout)
    second = json.loads(cli("drift", "check", str(reordered), "--deployment", "d2",
                            "--json").stdout)
    assert first["vote_share"] == second["vote_share"]
    assert first["attributions"][0]["feature"] == second["attributions"][0]["feature"] == "range"

    bare = _csv(tmp_path / "bare.csv", None, window)
    refused = cli("drift", "check", str(bare), "--deployment", "d2")
    assert refused.exit_code == 2 and "--no-header" in refused.output
    accepted = cli("drift", "check", str(bare), "--deployment", "d2", "--no-header", "--json")
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(accepted.stdout)["profile"]["n_samples"] == 400

    missing = _csv(tmp_path / "missing.csv", ["speed", "yaw", "rng"], window)
    result = cli("drift", "check", str(missing), "--deployment", "d2")
    assert result.exit_code == 2 and "range" in result.output and "rng" in result.output


def test_fail_on_gates_a_pipeline_on_the_severity_reached(cli, tmp_path):
    rng = np.random.default_rng(13)
    names = ["a", "b"]
    reference = _write_npz(tmp_path / "ref.npz", rng.normal(size=(800, 2)), names)
    assert cli("drift", "fit", str(reference), "--deployment", "d3").exit_code == 0
    clean = _write_npz(tmp_path / "clean.npz", rng.normal(size=(400, 2)), names)
    assert cli("drift", "check", str(clean), "--deployment", "d3",
               "--fail-on", "watch").exit_code == 0
    codes = []
    for _ in range(6):
        window = _write_npz(tmp_path / "w.npz", rng.normal(size=(400, 2)) + 1.0, names)
        codes.append(cli("drift", "check", str(window), "--deployment", "d3",
                         "--fail-on", "critical").exit_code)
    assert codes == [0, 0, 0, 0, 0, 3]


def test_a_stuck_sensor_is_a_data_quality_finding_and_metrics_count_verdicts(client):
    rng = np.random.default_rng(14)
    names = ["speed", "yaw", "range"]
    fit = client.post("/api/v1/drift/stuck/reference",
                      json={"rows": rng.normal(size=(600, 3)).tolist(), "feature_names": names})
    assert fit.status_code == 201, fit.text
    window = rng.normal(size=(300, 3))
    window[:, 1] = 0.25
    judged = client.post("/api/v1/drift/stuck/windows",
                         json={"rows": window[:, ::-1].tolist(), "feature_names": names[::-1]})
    assert judged.status_code == 201, judged.text
    findings = judged.json()["findings"]
    assert [(f["feature"], f["flag"]) for f in findings] == [("yaw", "stuck")]
    extra = client.post("/api/v1/drift/stuck/windows",
                        json={"rows": window.tolist(), "feature_names": ["speed", "yaw", "x"]})
    assert extra.status_code == 400 and "range" in extra.text
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert 'edgedeploy_drift_data_quality_findings_total{deployment="stuck",flag="stuck"}' in (
        metrics.text)
    assert "edgedeploy_drift_last_window_timestamp_seconds" in metrics.text
