"""A model file that would fail later is refused at registration, and nothing is stored.

Real parts throughout: the CLI and the API server over a fresh home (SQLite, the on-disk trace
store and evidence folder), ONNX's checker, ONNX Runtime on CPU and the torch plugin's loader.
"""

from __future__ import annotations

import json
import pickle

import pytest

from edgedeploy.application.models.registration import INSPECTION, INSPECTION_REPORT
from edgedeploy.domain.models import ModelRef
from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from tests.fakes.onnx_models import build_classifier
from tests.integration.models.onnx_files import failing_contract, unchecked_graph

MODEL = ModelRef("aeb", "1.0.0")
OCTET = {"content-type": "application/octet-stream"}


def _stored_files(settings):
    folder = settings.evidence_path
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _trace_item(settings):
    container = bootstrap(settings)
    try:
        return container.trace_store().get_item(MODEL.item_id)
    finally:
        close_container(container)


def _model_rows(settings):
    container = bootstrap(settings)
    try:
        with container.uow() as uow:
            return uow.models.list(None)
    finally:
        close_container(container)


def _assert_nothing_stored(settings):
    assert _model_rows(settings) == []
    assert _stored_files(settings) == []
    assert _trace_item(settings) is None


def _truncated(tmp_path):
    whole = build_classifier(tmp_path / "whole.onnx", 1.0).read_bytes()
    path = tmp_path / "aeb.onnx"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    return path


def _refused_by_cli(cli, settings, path, needle):
    result = cli("models", "register", str(MODEL), str(path), "--json")
    assert result.exit_code == 2, result.output
    problem = json.loads(result.stdout)
    assert problem["type"] == "urn:problem:MODEL_FILE_INVALID"
    assert path.name in problem["detail"] and needle in problem["detail"], problem
    _assert_nothing_stored(settings)


def test_a_truncated_onnx_file_is_refused_by_the_cli(cli, settings, tmp_path):
    _refused_by_cli(cli, settings, _truncated(tmp_path), "does not parse as ONNX")


def test_an_onnx_graph_that_does_not_check_is_refused_by_the_cli(cli, settings, tmp_path):
    _refused_by_cli(cli, settings, unchecked_graph(tmp_path / "dangling.onnx"),
                    "graph does not check")


def test_a_model_failing_one_inference_on_its_declared_inputs_is_refused(cli, settings,
                                                                         tmp_path):
    _refused_by_cli(cli, settings, failing_contract(tmp_path / "misshapen.onnx"),
                    "one inference on its declared inputs (x: float32[1, 4]) fails")


def test_a_valid_onnx_file_registers_with_its_inspection_as_evidence(cli, settings, tmp_path):
    path = build_classifier(tmp_path / "aeb.onnx", 1.0)
    result = cli("models", "register", str(MODEL), str(path), "--json")
    assert result.exit_code == 0, result.output
    attributes = dict(_trace_item(settings).attributes)
    assert attributes[INSPECTION] == ("onnx: parsed, graph checked, loaded by ONNX Runtime; "
                                      "inference ran")
    container = bootstrap(settings)
    try:
        report = json.loads(container.evidence().get(attributes[INSPECTION_REPORT]))
    finally:
        close_container(container)
    assert report["digest"] == json.loads(result.stdout)["digest"]
    assert report["inputs"] == ["x: float[N, 4]"]
    assert report["details"]["trial_inputs"] == "x: float32[1, 4]"
    assert report["inspector"].startswith("onnx ")


def test_a_checkpoint_that_would_run_code_is_refused_unloaded(cli, settings, tmp_path):
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(eval))  # a pickle importing builtins.eval
    result = cli("models", "register", str(MODEL), str(path), "--json")
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["type"] == "urn:problem:UNSAFE_MODEL_FILE"
    _assert_nothing_stored(settings)


def test_a_self_describing_checkpoint_is_loaded_and_run_once(cli, settings, tmp_path):
    import torch

    from edgedeploy.plugins.torch.builders import digits_cnn_small
    from edgedeploy.plugins.torch.examples import EXAMPLE_ARCH, EXAMPLE_CONFIGS

    path = tmp_path / "digits.pt"
    torch.save({"arch": EXAMPLE_ARCH, "config": EXAMPLE_CONFIGS["small"],
                "input_shape": [1, 1, 32, 32], "state_dict": digits_cnn_small().state_dict()},
               str(path))
    result = cli("models", "register", str(MODEL), str(path))
    assert result.exit_code == 0, result.output
    inspection = dict(_trace_item(settings).attributes)[INSPECTION]
    assert inspection == "pytorch: pickles scanned, loaded weights-only; inference ran"


def test_a_truncated_onnx_body_is_a_422_over_http_and_nothing_is_stored(client, server,
                                                                        settings, tmp_path):
    response = client.post(f"/api/v1/models/{MODEL}", params={"filename": "aeb.onnx"},
                           content=_truncated(tmp_path).read_bytes(), headers=OCTET)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "urn:problem:MODEL_FILE_INVALID"
    assert "aeb.onnx" in response.json()["detail"]
    assert client.get("/api/v1/models").json()["count"] == 0
    assert _stored_files(settings) == []
    assert server[1].trace_store().get_item(MODEL.item_id) is None


def test_a_valid_onnx_body_registers_over_http(client, tmp_path):
    data = build_classifier(tmp_path / "aeb.onnx", 1.0).read_bytes()
    response = client.post(f"/api/v1/models/{MODEL}", content=data, headers=OCTET)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("module", ["os:abort", "antigravity:fly", "digits_cnn_small"])
def test_a_builder_outside_the_allow_list_is_a_422_and_nothing_is_imported(client, tmp_path,
                                                                           module):
    import sys

    source, calibration = tmp_path / "model.pt", tmp_path / "data.npz"
    source.write_bytes(b"unused")
    calibration.write_bytes(b"unused")
    response = client.post(f"/api/v1/models/{MODEL}/optimize", json={
        "source": str(source), "calibration": str(calibration), "module": module})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "urn:problem:MODEL_BUILDER_NOT_ALLOWED"
    assert f"'{module}'" in problem["detail"]
    assert "digits-cnn-small" in problem["detail"] and "digits-cnn-medium" in problem["detail"]
    assert "antigravity" not in sys.modules
    # The server is alive and answers the next request.
    assert client.get("/api/v1/models").status_code == 200


def _job(client, response):
    import time

    assert response.status_code == 202, response.text
    url = response.headers["location"]
    deadline = time.monotonic() + 180
    job = client.get(url).json()
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = client.get(url).json()
    return job


def test_an_allow_listed_builder_builds_the_class_of_a_bare_state_dict(client, tmp_path):
    import torch

    from edgedeploy.plugins.torch.builders import digits_cnn_small

    source = tmp_path / "bare.pt"
    torch.save(digits_cnn_small().state_dict(), str(source))
    calibration = tmp_path / "calibration.npz"
    calibration.write_bytes(b"not an npz")  # read only after the model was built and loaded
    body = {"source": str(source), "calibration": str(calibration)}
    without = _job(client, client.post(f"/api/v1/models/{MODEL}/optimize", json=body))
    assert without["status"] == "failed" and "bare state dict" in without["error"]["detail"]
    named = _job(client, client.post(f"/api/v1/models/{MODEL}/optimize",
                                     json={**body, "module": "digits-cnn-small"}))
    assert named["status"] == "failed", named
    assert "calibration.npz" in named["error"]["detail"], named
    assert "bare state dict" not in named["error"]["detail"]
