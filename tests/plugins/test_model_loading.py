"""Model files are hostile until scanned: refused when they would run code, loaded otherwise.

Covers exported programs (``.pt2``) end to end: loading, export to ONNX, optimize and verify
through the CLI, with the pickle scan recorded as evidence and the deployed model's operators
and opset in the verification report.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.optimization import UnsafeModelFile
from edgedeploy.application.ports.optimization import ModelSource
from edgedeploy.entrypoints.errors import mapping_for
from edgedeploy.plugins.torch import onnx_tools
from edgedeploy.plugins.torch.loading import load_model, scan_model_file
from edgedeploy.plugins.torch.verification import is_onnx_model, size_breakdown
from tests.plugins.example_models import TrainedExample


class _Payload:
    """Pickles as a call to ``exec`` that writes ``marker``: what a crafted model file does."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


def _tiny_cnn() -> object:
    from edgedeploy.plugins.torch.examples import build_digits_cnn

    return build_digits_cnn([4, 8], 16).eval()


def _export_program(module: object, target: Path) -> Path:
    import torch

    program = torch.export.export(module, (torch.zeros(2, 1, 32, 32),),
                                  dynamic_shapes=({0: torch.export.Dim("batch", min=1)},))
    torch.export.save(program, str(target))
    return target


def _crafted_pt2(valid: Path, target: Path, marker: Path) -> Path:
    """A real exported program whose first weight is a pickle that runs code when loaded."""
    import torch

    payload = io.BytesIO()
    torch.save(_Payload(marker), payload)
    with zipfile.ZipFile(valid) as source, zipfile.ZipFile(target, "w") as crafted:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith("data/weights/model_weights_config.json"):
                config = json.loads(data)
                config["config"][next(iter(config["config"]))]["use_pickle"] = True
                data = json.dumps(config).encode()
            elif info.filename.endswith("data/weights/weight_0"):
                data = payload.getvalue()
            crafted.writestr(info, data)
    return target


@pytest.fixture(name="cli")
def fx_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Runs ``edgedeploy`` in-process over a fresh home.

    The CLI configures structlog for the process; the configuration is put back afterwards,
    so that later tests in this folder still capture their debug logs.
    """
    import structlog

    from edgedeploy.entrypoints.cli import cli

    monkeypatch.setenv("EDGEDEPLOY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EDGEDEPLOY_ACTOR", "cli.test")
    runner = CliRunner()
    saved = structlog.get_config()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), catch_exceptions=False)

    yield run
    structlog.configure(**saved)


def test_a_pt2_whose_pickle_would_run_code_is_refused_naming_the_global_and_never_run(
        tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    valid = _export_program(_tiny_cnn(), tmp_path / "valid.pt2")
    crafted = _crafted_pt2(valid, tmp_path / "crafted.pt2", marker)

    with pytest.raises(UnsafeModelFile) as caught:
        load_model(ModelSource(str(crafted)))

    assert caught.value.code == "UNSAFE_MODEL_FILE"
    assert "exec" in str(caught.value) and "crafted.pt2" in str(caught.value)
    assert any(g.endswith(".exec") for g in caught.value.globals)
    assert not marker.exists()
    mapping = mapping_for(caught.value)
    assert (mapping.status, mapping.exit_code) == (422, 2)


class _Harmless:
    """A user class: not dangerous to picklescan, yet beyond what a weights-only load accepts."""


def test_a_pt2_needing_a_class_beyond_the_weights_only_set_is_refused_unloaded(
        tmp_path: Path) -> None:
    import torch

    valid = _export_program(_tiny_cnn(), tmp_path / "valid.pt2")
    payload = io.BytesIO()
    torch.save(_Harmless(), payload)
    target = tmp_path / "custom.pt2"
    with zipfile.ZipFile(valid) as source, zipfile.ZipFile(target, "w") as crafted:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith("data/weights/weight_0"):
                data = payload.getvalue()
            crafted.writestr(info, data)

    with pytest.raises(UnsafeModelFile, match="_Harmless"):
        load_model(ModelSource(str(target)))


def test_a_checkpoint_importing_a_dangerous_global_is_refused_by_the_scan(
        tmp_path: Path) -> None:
    import torch

    marker = tmp_path / "ran"
    checkpoint = tmp_path / "model.pt"
    torch.save({"state_dict": {}, "extra": _Payload(marker)}, checkpoint)

    with pytest.raises(UnsafeModelFile, match="exec"):
        load_model(ModelSource(str(checkpoint)))
    assert not marker.exists()


def test_a_corrupt_pt2_exits_2_with_a_clear_message(cli, small_example: TrainedExample,  # type: ignore[no-untyped-def]
                                                    tmp_path: Path) -> None:
    valid = _export_program(_tiny_cnn(), tmp_path / "valid.pt2").read_bytes()
    corrupt = tmp_path / "model.pt2"
    corrupt.write_bytes(valid[: len(valid) // 2])
    result = cli("optimize", str(corrupt), "--calibration", str(small_example.data), "--as",
                 "aeb@1.0.0")
    assert result.exit_code == 2, result.output
    assert "model.pt2 is not a readable exported program" in " ".join(result.output.split())


def test_a_zip_that_is_no_exported_program_is_invalid_input(tmp_path: Path) -> None:
    archive = tmp_path / "other.pt2"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("other/readme.txt", "not a model")
    with pytest.raises(InvalidInput, match=r"other\.pt2 is not a readable exported program"):
        load_model(ModelSource(str(archive)))


def test_a_crafted_pt2_is_refused_by_the_cli_with_exit_2(cli, small_example: TrainedExample,  # type: ignore[no-untyped-def]
                                                        tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    crafted = _crafted_pt2(_export_program(_tiny_cnn(), tmp_path / "valid.pt2"),
                           tmp_path / "crafted.pt2", marker)
    result = cli("optimize", str(crafted), "--calibration", str(small_example.data), "--as",
                 "aeb@1.0.0", "--json")
    assert result.exit_code == 2, result.output
    assert "UNSAFE_MODEL_FILE" in result.output and "exec" in result.output
    assert not marker.exists()


def test_every_pickle_of_a_clean_checkpoint_is_scanned_and_found_clean(
        small_example: TrainedExample) -> None:
    scan = scan_model_file(small_example.checkpoint)
    assert scan.verdict == "clean"
    assert scan.pickles >= 1
    assert scan.scanner.startswith("picklescan ")
    assert "torch._utils._rebuild_tensor_v2" in scan.innocuous
    assert load_model(ModelSource(str(small_example.checkpoint))).scan == scan


def test_an_exported_program_loads_and_exports_to_onnx_with_the_same_outputs(
        tmp_path: Path) -> None:
    import numpy as np
    import torch

    module = _tiny_cnn()
    path = _export_program(module, tmp_path / "cnn.pt2")

    loaded = load_model(ModelSource(str(path)))

    assert loaded.kind == "exported-program" and not loaded.trainable
    assert loaded.input_shape == (1, 1, 32, 32)
    assert loaded.scan is not None and loaded.scan.verdict == "clean"
    onnx_path = onnx_tools.export_onnx(loaded.module, loaded.input_shape, tmp_path / "cnn.onnx")
    x = np.random.default_rng(0).random((3, 1, 32, 32), dtype=np.float32)
    got = onnx_tools.predict(onnx_tools.session(onnx_path), x)
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()  # type: ignore[operator]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert {layer[1] for layer in onnx_tools.quantizable_layers(onnx_path)} == {"Conv", "Gemm"}


def test_a_suffixless_onnx_file_is_recognised_by_its_bytes(tmp_path: Path) -> None:
    onnx_path = onnx_tools.export_onnx(_tiny_cnn(), (1, 1, 32, 32), tmp_path / "m.onnx")
    stored = tmp_path / "sha256-abcdef"
    stored.write_bytes(onnx_path.read_bytes())
    not_onnx = tmp_path / "blob"
    not_onnx.write_bytes(b"\x08\x01 certainly not a model")

    assert is_onnx_model(str(stored))
    assert not is_onnx_model(str(not_onnx))
    _, operators, opset = size_breakdown(str(stored))
    assert opset == onnx_tools.OPSET and operators["Conv"] == 2


@pytest.mark.slow
def test_an_exported_program_optimizes_and_verifies_with_the_scan_and_opset_recorded(
        cli, small_example: TrainedExample, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import torch

    checkpoint = torch.load(small_example.checkpoint, weights_only=True)
    from edgedeploy.plugins.torch.examples import build_digits_cnn

    module = build_digits_cnn(**checkpoint["config"])
    module.load_state_dict(checkpoint["state_dict"])
    program = _export_program(module.eval(), tmp_path / "aeb.pt2")

    result = cli("optimize", str(program), "--calibration", str(small_example.data), "--as",
                 "aeb@2.0.0", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    report = json.loads(Path(body["artifacts"]["export_report"]).read_text())
    assert report["source"]["scan"]["verdict"] == "clean"
    assert report["source"]["scan"]["scanner"].startswith("picklescan")
    from edgedeploy.domain.models import ModelRef
    from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
    from edgedeploy.entrypoints.settings import Settings

    container = bootstrap(Settings(home=str(tmp_path / "home"), actor="cli.test"))
    try:
        item = container.trace_store().get_item(ModelRef("aeb", "2.0.0").item_id)
    finally:
        close_container(container)
    assert item is not None
    attributes = dict(item.attributes)
    assert attributes["source_scan"] == "clean"
    assert attributes["source_scanner"].startswith("picklescan")

    verified = cli("verify", "aeb@2.0.0", "--json")
    assert verified.exit_code == 0, verified.output
    verification = json.loads(verified.stdout)
    assert verification["opset"] == onnx_tools.OPSET
    assert verification["operators"].get("Conv", 0) >= 1


def test_module_names_a_class_in_the_working_directory_without_pythonpath(
        cli, tmp_path: Path, small_example: TrainedExample,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    project = tmp_path / "project"
    project.mkdir()
    (project / "localnet_cwd_probe.py").write_text(
        "from torch import nn\n\n"
        "class Net(nn.Sequential):\n"
        "    def __init__(self):\n"
        "        super().__init__(nn.Flatten(), nn.Linear(1024, 10))\n")
    state = {"weight": torch.zeros(3)}  # loads the class, then fails on the weights
    torch.save(state, project / "bare.pt")
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(project))])

    result = cli("optimize", "bare.pt", "--module", "localnet_cwd_probe:Net",
                 "--calibration", str(small_example.data), "--as", "local@1.0.0")

    assert result.exit_code == 2, result.output
    assert "cannot import" not in result.output
    assert "do not fit the model" in result.output


def test_a_missing_module_is_still_a_clear_error(tmp_path: Path) -> None:
    import torch

    torch.save({"weight": torch.zeros(3)}, tmp_path / "bare.pt")
    with pytest.raises(InvalidInput, match="cannot import model class 'nowhere_at_all:Net'"):
        load_model(ModelSource(str(tmp_path / "bare.pt"), "nowhere_at_all:Net"))
