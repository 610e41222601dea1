"""The edge agent's HTTP API (Litestar), served on ``agent.bind`` by :func:`serve_agent`.

Every route requires the fleet's secret as ``Authorization: Bearer <secret>``; anything else
is a 401 problem, so only the fleet's controller can command, query or use the agent.

| method | path | purpose |
|---|---|---|
| POST | ``/v1/infer`` | one inference; the answer names the model version that produced it |
| PUT | ``/v1/desired`` | desired version and epoch: the same epoch again is a no-op; one \
older or over 1000 ahead is a 409; the answer reports what the agent serves (``serving``) |
| POST | ``/v1/swap/cancel`` | cancel the running load |
| GET | ``/v1/status`` | what the agent serves, its epoch, last-known-good, quarantine |
| GET | ``/v1/health`` | health window of one model version since a time |
| GET | ``/metrics`` | Prometheus text |
"""

from __future__ import annotations

import hmac
from typing import Any

import msgspec
import numpy as np
from litestar import Litestar, MediaType, Request, Response, get, post, put
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromQuery, JSONBody

from edgedeploy.application.edge.runtime import EdgeRuntime
from edgedeploy.application.errors import AuthenticationFailed, InvalidInput
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


def controller_guard(token: str) -> Any:
    """A guard admitting only requests that present ``token`` as their bearer credential."""
    expected = token.encode()

    def require_controller(connection: ASGIConnection[Any, Any, Any, Any],
                           _: BaseRouteHandler) -> None:
        scheme, _sep, presented = connection.headers.get("authorization", "").partition(" ")
        # Constant-time comparison: the answer's timing does not reveal how much matched.
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                presented.strip().encode(), expected):
            raise AuthenticationFailed(
                "this agent answers only its fleet's controller: send the fleet secret as "
                "'Authorization: Bearer <secret>'")

    return require_controller


def _handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    response = handle_exception(request, exc)
    if isinstance(exc, AuthenticationFailed):
        response.headers["WWW-Authenticate"] = 'Bearer realm="edgedeploy-agent"'
    return response


def create_agent_app(runtime: EdgeRuntime, token: str) -> Litestar:
    """The Litestar application around one :class:`EdgeRuntime`, for holders of ``token``."""

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
        reported = runtime.status()
        return {"generation": outcome.generation, "model": outcome.model,
                "epoch": outcome.epoch, "status": outcome.status, "reason": outcome.reason,
                "agent_epoch": reported.epoch,
                "serving": {"model": reported.model, "digest": reported.digest,
                            "epoch": reported.epoch}}

    @post("/v1/swap/cancel", sync_to_thread=False, status_code=200)
    def cancel() -> dict[str, Any]:
        runtime.cancel()
        return runtime.status().to_dict()

    @get("/v1/status", sync_to_thread=False)
    def status() -> dict[str, Any]:
        return runtime.status().to_dict()

    @get("/v1/health", sync_to_thread=False)
    def health(model: FromQuery[str], since: FromQuery[float] = 0.0) -> dict[str, Any]:
        name = str(ModelRef.parse(model))
        return {**runtime.monitor.health(name, since).to_dict(),
                "client_errors": runtime.monitor.rejected(name, since)}

    @get("/metrics", sync_to_thread=False, media_type=MediaType.TEXT)
    def metrics() -> str:
        return runtime.monitor.prometheus(runtime.device_id)

    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "device_id": runtime.device_id}

    return Litestar([infer, desired, cancel, status, health, metrics, healthz],
                    guards=[controller_guard(token)],
                    exception_handlers={Exception: _handle}, openapi_config=None)
