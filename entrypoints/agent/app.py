"""The edge agent's HTTP API (Litestar), bound to loopback by :func:`serve_agent`.

| method | path | purpose |
|---|---|---|
| POST | ``/v1/infer`` | one inference; the answer names the model version that produced it |
| PUT | ``/v1/desired`` | desired model version with its epoch (idempotent by epoch) |
| POST | ``/v1/swap/cancel`` | cancel the running load |
| GET | ``/v1/status`` | what the agent serves, its epoch, last-known-good, quarantine |
| GET | ``/v1/health`` | health window of one model version since a time |
| GET | ``/metrics`` | Prometheus text |
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np
from litestar import Litestar, MediaType, get, post, put
from litestar.params import FromQuery, JSONBody

from edgedeploy.application.edge.runtime import EdgeRuntime
from edgedeploy.application.errors import InvalidInput
from edgedeploy.domain.models import ModelRef
from edgedeploy.entrypoints.http.problems import handle_exception

_DTYPES = {"float32": np.float32, "float64": np.float64, "float16": np.float16,
           "int64": np.int64, "int32": np.int32, "int8": np.int8, "uint8": np.uint8,
           "bool": np.bool_}


class InferCreate(msgspec.Struct, forbid_unknown_fields=True):
    """An inference request: input tensors by name as nested lists."""

    inputs: dict[str, Any]


class DesiredStateCreate(msgspec.Struct, forbid_unknown_fields=True):
    """The desired model version, the registry digest and the epoch of the command."""

    model: str
    digest: str
    epoch: int
    wait: bool = False
    timeout_s: float = 60.0


def create_agent_app(runtime: EdgeRuntime) -> Litestar:
    """The Litestar application around one :class:`EdgeRuntime`."""

    @post("/v1/infer", sync_to_thread=True, status_code=200)
    def infer(data: JSONBody[InferCreate]) -> dict[str, Any]:
        feeds: dict[str, Any] = {}
        for name, value in data.inputs.items():
            try:
                feeds[name] = np.asarray(value, dtype=_DTYPES.get(
                    runtime.input_dtype(name) or "float32", np.float32))
            except (ValueError, TypeError) as exc:
                raise InvalidInput(f"input '{name}' is not a numeric tensor: {exc}") from exc
        result = runtime.infer(feeds)
        return {"model": result.model, "digest": result.digest,
                "outputs": {k: np.asarray(v).tolist() for k, v in result.outputs.items()},
                "latency_ms": result.latency_ms, "fallback": result.fallback,
                "timed_out": result.timed_out, "low_confidence": result.low_confidence,
                "rows": result.rows, "low_confidence_rows": result.low_confidence_rows}

    @put("/v1/desired", sync_to_thread=True)
    def desired(data: JSONBody[DesiredStateCreate]) -> dict[str, Any]:
        outcome = runtime.request_swap(ModelRef.parse(data.model), data.digest, data.epoch)
        if data.wait and outcome.generation and not outcome.done:
            outcome = runtime.wait(outcome.generation, data.timeout_s) or outcome
        return {"generation": outcome.generation, "model": outcome.model,
                "epoch": outcome.epoch, "status": outcome.status, "reason": outcome.reason,
                "agent_epoch": runtime.status().epoch}

    @post("/v1/swap/cancel", sync_to_thread=False, status_code=200)
    def cancel() -> dict[str, Any]:
        runtime.cancel()
        return runtime.status().to_dict()

    @get("/v1/status", sync_to_thread=False)
    def status() -> dict[str, Any]:
        return runtime.status().to_dict()

    @get("/v1/health", sync_to_thread=False)
    def health(model: FromQuery[str], since: FromQuery[float] = 0.0) -> dict[str, Any]:
        return runtime.monitor.health(str(ModelRef.parse(model)), since).to_dict()

    @get("/metrics", sync_to_thread=False, media_type=MediaType.TEXT)
    def metrics() -> str:
        return runtime.monitor.prometheus(runtime.device_id)

    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "device_id": runtime.device_id}

    return Litestar([infer, desired, cancel, status, health, metrics, healthz],
                    exception_handlers={Exception: handle_exception}, openapi_config=None)
