"""A fleet of edge agents reached over HTTP, from a list of agent URLs."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx
import structlog

from edgedeploy.adapters.fleet.auth import ControllerCredentials
from edgedeploy.application.ports.rollout import ApplyResult
from edgedeploy.application.ports.system import Clock
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DesiredState, DeviceInfo

log = structlog.get_logger(__name__)


def reports(answer: Any, state: DesiredState) -> bool:
    """True when an agent's answer reports serving exactly ``state`` (model, digest, epoch)."""
    if not isinstance(answer, dict):
        return False
    serving = answer.get("serving")
    if not isinstance(serving, dict):
        return False
    return (serving.get("model") == str(state.model) and serving.get("digest") == state.digest
            and serving.get("epoch") == state.epoch)


class HttpFleet:
    """:class:`edgedeploy.application.ports.rollout.RolloutTarget` over the edge agents' HTTP API.

    Unreachable agents never raise: they are reported and commanded again on a later tick.

    Args:
        agents: device id -> base URL (``http://127.0.0.1:8101``).
        labels: device id -> labels used for matched baseline cohorts.
        credentials: the fleet secret (and TLS files) agents require of their controller.
        timeout_s: per request.
        swap_wait_s: how long ``apply`` waits for each agent's verified swap; 0 returns as
            soon as the agent accepted the epoch.
    """

    def __init__(self, agents: Mapping[str, str],
                 labels: Mapping[str, Mapping[str, str]] | None = None, *,
                 credentials: ControllerCredentials | None = None,
                 timeout_s: float = 10.0, swap_wait_s: float = 30.0,
                 max_workers: int = 16) -> None:
        self._agents = dict(agents)
        self._labels = {k: dict(v) for k, v in (labels or {}).items()}
        self._swap_wait_s = swap_wait_s
        self._credentials = credentials
        context = credentials.ssl_context() if credentials else None
        self._client = httpx.Client(timeout=timeout_s + swap_wait_s,
                                    headers=credentials.headers if credentials else None,
                                    verify=context if context is not None else True)
        self._pool = ThreadPoolExecutor(max_workers=max_workers,
                                        thread_name_prefix="fleet-http")

    #: Agents live in real time: the controller reads its own clock.
    clock: Clock | None = None

    def close(self) -> None:
        """Release connections and threads."""
        self._pool.shutdown(wait=True)
        self._client.close()

    def pace(self, seconds: float) -> None:
        """Wait ``seconds`` of real time for the agents' health windows to fill."""
        time.sleep(seconds)

    def elapse(self, seconds: float) -> None:
        """Real time passed elsewhere; the agents counted it themselves."""

    @property
    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a request to the agents (for callers with own clients)."""
        return self._credentials.headers if self._credentials else {}

    def url(self, device_id: str) -> str:
        """Base URL of one agent."""
        return self._agents[device_id]

    def devices(self) -> list[DeviceInfo]:
        """The configured agents with their labels."""
        return [DeviceInfo(d, self._labels.get(d, {})) for d in sorted(self._agents)]

    def _call(self, method: str, device_id: str, path: str, **kwargs: Any) -> Any | None:
        try:
            response = self._client.request(method, self._agents[device_id] + path, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("fleet.unreachable", device=device_id, path=path, reason=str(exc))
            return None
        if response.status_code >= 400:
            log.warning("fleet.refused", device=device_id, path=path,
                        status=response.status_code, body=response.text[:300])
            return None
        return response.json()

    def apply(self, states: Sequence[DesiredState]) -> ApplyResult:
        """PUT each desired state; a device acknowledges only by serving it.

        An answer counts as an acknowledgement when the state the agent reports (``serving``:
        model, digest, epoch) is the desired one. An answer of any other kind (``stale`` at
        the same epoch while a different version serves, a failed or still running swap, a
        refused epoch or credential) leaves the device owing the state: it is sent again on a
        later tick, and the device is never counted on a version it does not run.
        """
        def send(state: DesiredState) -> tuple[str, bool]:
            body = {"model": str(state.model), "digest": state.digest, "epoch": state.epoch,
                    "wait": self._swap_wait_s > 0, "timeout_s": self._swap_wait_s}
            answer = self._call("PUT", state.device_id, "/v1/desired", json=body)
            served = reports(answer, state)
            if answer is not None and not served:
                log.warning("fleet.not_serving", device=state.device_id, epoch=state.epoch,
                            desired=str(state.model), status=answer.get("status")
                            if isinstance(answer, dict) else None,
                            reason=answer.get("reason") if isinstance(answer, dict) else None)
            return state.device_id, served
        results = list(self._pool.map(send, [s for s in states if s.device_id in self._agents]))
        return ApplyResult(tuple(d for d, ok in results if ok),
                           tuple(d for d, ok in results if not ok))

    def health(self, device_ids: Sequence[str], model: ModelRef,
               since: datetime) -> HealthWindow:
        """Sum of each reachable agent's window for ``model`` since ``since``."""
        def read(device_id: str) -> HealthWindow | None:
            data = self._call("GET", device_id, "/v1/health",
                              params={"model": str(model), "since": since.timestamp()})
            return None if data is None else HealthWindow.from_dict(data)
        total = HealthWindow()
        for window in self._pool.map(read, [d for d in device_ids if d in self._agents]):
            if window is not None and window.inferences:
                total = total + HealthWindow(window.inferences, window.errors, window.timeouts,
                                             window.fallbacks, window.low_confidence,
                                             window.latency_histogram, 1)
        return total

    def running(self, device_ids: Sequence[str]) -> dict[str, ModelRef | None]:
        """What each agent serves now."""
        def read(device_id: str) -> tuple[str, ModelRef | None]:
            data = self._call("GET", device_id, "/v1/status")
            model = None if data is None else data.get("model")
            return device_id, None if model is None else ModelRef.parse(model)
        return dict(self._pool.map(read, list(device_ids)))

    def reported_epochs(self, device_ids: Sequence[str]) -> dict[str, int | None]:
        """The epoch each agent reports in its status (None when unreachable)."""
        def read(device_id: str) -> tuple[str, int | None]:
            data = self._call("GET", device_id, "/v1/status")
            epoch = None if data is None else data.get("epoch")
            return device_id, epoch if isinstance(epoch, int) else None
        return dict(self._pool.map(read, [d for d in device_ids if d in self._agents]))

    def status(self, device_id: str) -> dict[str, Any] | None:
        """One agent's full status (None when unreachable)."""
        result: dict[str, Any] | None = self._call("GET", device_id, "/v1/status")
        return result

    def infer(self, device_id: str, inputs: Mapping[str, Any]) -> dict[str, Any] | None:
        """One inference on one agent (traffic for demos and tests)."""
        result: dict[str, Any] | None = self._call("POST", device_id, "/v1/infer",
                                                   json={"inputs": dict(inputs)})
        return result
