"""Optimize and verify through the CLI and as HTTP jobs, on the small example model."""

from __future__ import annotations

import json
import time

from tests.fakes.onnx_models import build_classifier

MODEL = "aeb-perception@2.0.0"


def test_optimize_registers_the_plan_and_verify_records_its_report(cli, small_example):
    result = cli("optimize", str(small_example.checkpoint), "--calibration",
                 str(small_example.data), "--as", MODEL, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["model"]["ref"] == {"name": "aeb-perception", "version": "2.0.0"}
    assert body["plan"]["layers"]
    assert set(body["digests"]) >= {"model", "reference", "export_report", "pareto"}

    verified = cli("verify", MODEL, "--json")
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    assert report["passed"] is True
    assert report["deployed_runtime_accuracy"] > 50

    forward = json.loads(cli("trace", "backward", f"verification:{MODEL}", "--json").stdout)
    assert forward["items"] == []  # a verification test traces up only once linked


def test_a_corrupt_checkpoint_is_refused_and_nothing_is_registered(cli, small_example, tmp_path):
    corrupt = tmp_path / "model.pt"
    corrupt.write_bytes(b"\x80\x02 definitely not a checkpoint")
    result = cli("optimize", str(corrupt), "--calibration", str(small_example.data), "--as",
                 MODEL)
    assert result.exit_code == 2, result.output
    assert "model.pt" in result.output
    listed = json.loads(cli("models", "list", "--json").stdout)
    assert listed == []


def test_verify_refuses_a_version_that_was_not_optimized_here(cli, tmp_path):
    model = build_classifier(tmp_path / "m.onnx", 1.0)
    assert cli("models", "register", "plain@1", str(model)).exit_code == 0
    result = cli("verify", "plain@1")
    assert result.exit_code == 3
    assert "VERIFICATION_INPUTS_MISSING" in result.output


def test_optimization_runs_as_a_job_with_progress_and_artifacts(client, small_example):
    response = client.post(f"/api/v1/models/{MODEL}/optimize", json={
        "source": str(small_example.checkpoint), "calibration": str(small_example.data)})
    assert response.status_code == 202, response.text
    status_url = response.headers["location"]
    deadline = time.monotonic() + 300
    job = client.get(status_url).json()
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.5)
        job = client.get(status_url).json()
    assert job["status"] == "succeeded", job
    assert job["progress"]["report"] == 1.0
    report = client.get(job["result"]["artifacts"]["export_report"])
    assert report.status_code == 200
    assert json.loads(report.content)["schema"] == "edgedeploy.export_report/1"


def test_a_failed_optimization_job_reports_its_error(client, small_example, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an npz")
    response = client.post("/api/v1/models/x@1/optimize", json={
        "source": str(small_example.checkpoint), "calibration": str(bad)})
    assert response.status_code == 202
    url = response.headers["location"]
    job = client.get(url).json()
    deadline = time.monotonic() + 120
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
        job = client.get(url).json()
    assert job["status"] == "failed"
    assert "bad.npz" in job["error"]["detail"]


def test_an_unknown_job_is_a_404_problem(client):
    response = client.get("/api/v1/jobs/does-not-exist")
    assert response.status_code == 404
    assert response.json()["type"] == "urn:problem:JOB_NOT_FOUND"
