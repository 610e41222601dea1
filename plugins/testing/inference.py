"""Conformance kit for inference backends (group ``edgedeploy.inference_backends``).

Subclass :class:`InferenceBackendContract` in your own test module and provide three fixtures:
``backend`` (your backend object), ``model_path`` (a tiny model file in a format your backend
loads) and ``feeds`` (one batch of inputs for it, as a mapping of input name to array)::

    from edgedeploy.plugins.testing import InferenceBackendContract, write_tiny_onnx_model

    class TestMyBackend(InferenceBackendContract):
        @pytest.fixture(name="backend")
        def fx_backend(self): return my_plugin.factory()

        @pytest.fixture(name="model_path")
        def fx_model_path(self, tmp_path): return str(write_tiny_onnx_model(tmp_path / "m.onnx"))

        @pytest.fixture(name="feeds")
        def fx_feeds(self): return tiny_onnx_feeds()

The kit checks what the core relies on: the capability descriptor, a probe that never raises,
load/run/close, thread-safe ``run``, and that failures surface as edgedeploy's own errors rather
than the runtime's.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from edgedeploy.application.errors import (
    ApplicationError,
    BackendUnavailable,
    CapabilityNotSupported,
)
from edgedeploy.application.ports.inference import (
    API_VERSION,
    Capabilities,
    InferenceBackend,
    InferenceSession,
    ProbeResult,
    TensorSpec,
)

TINY_INPUT = "x"
TINY_OUTPUT = "y"


def write_tiny_onnx_model(path: Path) -> Path:
    """Write a 4 -> 3 Gemm + Relu ONNX model (opset 17) with a dynamic batch dimension."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.standard_normal((3, 4)).astype(np.float32), "W")
    bias = numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), "B")
    graph = helper.make_graph(
        [helper.make_node("Gemm", [TINY_INPUT, "W", "B"], ["h"], transB=1),
         helper.make_node("Relu", ["h"], [TINY_OUTPUT])],
        "tiny",
        [helper.make_tensor_value_info(TINY_INPUT, TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info(TINY_OUTPUT, TensorProto.FLOAT, ["batch", 3])],
        initializer=[weight, bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


def tiny_onnx_feeds(batch: int = 2) -> dict[str, Any]:
    """A deterministic batch for :func:`write_tiny_onnx_model`."""
    import numpy as np

    return {TINY_INPUT: np.linspace(-1.0, 1.0, batch * 4, dtype=np.float32).reshape(batch, 4)}


class InferenceBackendContract:
    """What every inference backend must do; subclass it and provide the three fixtures."""

    def test_the_backend_satisfies_the_inference_backend_protocol(
            self, backend: InferenceBackend) -> None:
        """The backend satisfies the inference backend protocol."""
        assert isinstance(backend, InferenceBackend)

    def test_capabilities_declare_the_current_api_version_and_what_the_backend_offers(
            self, backend: InferenceBackend) -> None:
        """Capabilities declare the current api version and what the backend offers."""
        caps = backend.capabilities
        assert isinstance(caps, Capabilities)
        assert caps.api_version == API_VERSION
        assert caps.name
        assert caps.formats and caps.precisions and caps.devices
        assert caps.precisions <= {"fp32", "fp16", "int8", "bf16"}

    def test_probe_answers_with_a_reason_and_never_raises(
            self, backend: InferenceBackend) -> None:
        """Probe answers with a reason and never raises."""
        result = backend.probe()
        assert isinstance(result, ProbeResult)
        assert result.reason
        assert result.devices <= backend.capabilities.devices

    def test_a_loaded_model_describes_its_inputs_and_outputs(
            self, backend: InferenceBackend, model_path: str) -> None:
        """A loaded model describes its inputs and outputs."""
        session = backend.load(model_path)
        try:
            assert isinstance(session, InferenceSession)
            assert session.inputs and session.outputs
            assert all(isinstance(t, TensorSpec) for t in (*session.inputs, *session.outputs))
        finally:
            session.close()

    def test_run_returns_every_output_by_name_and_repeats_exactly(
            self, backend: InferenceBackend, model_path: str,
            feeds: Mapping[str, Any]) -> None:
        """Run returns every output by name and repeats exactly."""
        import numpy as np

        session = backend.load(model_path)
        try:
            first = session.run(feeds)
            second = session.run(feeds)
            assert set(first) == {o.name for o in session.outputs}
            for name in first:
                assert np.array_equal(np.asarray(first[name]), np.asarray(second[name]))
                assert np.isfinite(np.asarray(first[name])).all()
        finally:
            session.close()

    def test_concurrent_runs_from_several_threads_agree_with_a_single_run(
            self, backend: InferenceBackend, model_path: str,
            feeds: Mapping[str, Any]) -> None:
        """Concurrent runs from several threads agree with a single run."""
        import numpy as np

        session = backend.load(model_path)
        expected = session.run(feeds)
        results: list[dict[str, Any]] = []
        errors: list[BaseException] = []

        def work() -> None:
            try:
                for _ in range(10):
                    results.append(session.run(feeds))
            except BaseException as exc:  # surfaced below; a thread cannot fail the test
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        session.close()
        assert not errors
        assert len(results) == 40
        for out in results:
            for name, value in expected.items():
                assert np.allclose(np.asarray(out[name]), np.asarray(value))

    def test_a_closed_session_refuses_to_run(
            self, backend: InferenceBackend, model_path: str,
            feeds: Mapping[str, Any]) -> None:
        """A closed session refuses to run."""
        session = backend.load(model_path)
        session.close()
        with pytest.raises(BackendUnavailable):
            session.run(feeds)

    def test_a_device_the_backend_does_not_offer_is_refused_as_unsupported(
            self, backend: InferenceBackend, model_path: str) -> None:
        """A device the backend does not offer is refused as unsupported."""
        with pytest.raises(CapabilityNotSupported):
            backend.load(model_path, device="no-such-device")

    def test_a_missing_model_file_fails_with_an_edgedeploy_error_naming_it(
            self, backend: InferenceBackend, tmp_path: Path) -> None:
        """A missing model file fails with an edgedeploy error naming it."""
        missing = str(tmp_path / "absent.model")
        with pytest.raises(ApplicationError, match=r"absent\.model"):
            backend.load(missing)

    def test_a_model_it_can_run_has_no_unsupported_operators(
            self, backend: InferenceBackend, model_path: str) -> None:
        """A model it can run has no unsupported operators."""
        assert backend.unsupported_operators(model_path) == []
