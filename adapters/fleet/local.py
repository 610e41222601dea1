"""A fleet of edge agent processes on a local address, spawned and owned by this object."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from edgedeploy.adapters.fleet.auth import ControllerCredentials, ensure_secret_file
from edgedeploy.adapters.fleet.http import HttpFleet
from edgedeploy.application.errors import BackendUnavailable
from edgedeploy.domain.rollout import device_id


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class LocalAgentFleet(HttpFleet):
    """Edge agents as child processes (``python -m edgedeploy.entrypoints.agent``) on ``bind``.

    What the demo and the integration tests use. Every agent keeps its state under
    ``base/<device>``; all share one package ``repository``. ``stop``/``start`` take a device
    off line and back, to show convergence on reconnect. The agents and this controller share
    the secret in ``token_file``, by default ``base/fleet.token``, created (mode 0600) with a
    fresh secret on first use so a local fleet needs no setup.
    """

    def __init__(self, base: Path, repository: Path, device_ids: list[str], *,
                 labels: Mapping[str, Mapping[str, str]] | None = None,
                 backend: str = "", env: Mapping[str, str] | None = None,
                 start_timeout_s: float = 60.0, swap_wait_s: float = 30.0,
                 bind: str = "127.0.0.1", token_file: Path | None = None) -> None:
        for device in device_ids:
            device_id(device)  # each names a directory under base: never a path of its own
        # Absolute, because every agent runs with its own home as working directory.
        self._base, self._repository = base.resolve(), repository.resolve()
        self._backend = backend
        token_file = token_file.resolve() if token_file is not None else None
        base = self._base
        self._extra_env = dict(env or {})
        self._start_timeout_s = start_timeout_s
        self._bind = bind
        self._token_file = token_file or base / "fleet.token"
        self.credentials = ControllerCredentials(ensure_secret_file(self._token_file))
        self._ports = {d: free_port(bind) for d in device_ids}
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        super().__init__({d: f"http://{bind}:{p}" for d, p in self._ports.items()},
                         labels, credentials=self.credentials, swap_wait_s=swap_wait_s)
        try:
            for device in device_ids:
                self.start(device, wait=False)
            for device in device_ids:
                self._wait_ready(device)
        except BaseException:
            self.close()
            raise

    def start(self, device_id: str, *, wait: bool = True) -> None:
        """Start (or restart) one agent process."""
        home = self._base / device_id
        home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self._extra_env}
        log = (home / "agent.log").open("ab")
        self._procs[device_id] = subprocess.Popen(
            [sys.executable, "-m", "edgedeploy.entrypoints.agent", "--device-id", device_id,
             "--port", str(self._ports[device_id]), "--bind", self._bind,
             "--token-file", str(self._token_file), "--home", str(home),
             *(["--backend", self._backend] if self._backend else []),
             "--repository", str(self._repository)],
            cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        if wait:
            self._wait_ready(device_id)

    def stop(self, device_id: str, *, kill: bool = False) -> None:
        """Take one agent off line (SIGTERM, or SIGKILL with ``kill``)."""
        proc = self._procs.pop(device_id, None)
        if proc is None:
            return
        if kill:
            proc.kill()
        else:
            proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def pid(self, device_id: str) -> int | None:
        """Process id of a running agent."""
        proc = self._procs.get(device_id)
        return None if proc is None else proc.pid

    def _wait_ready(self, device_id: str) -> None:
        deadline = time.monotonic() + self._start_timeout_s
        url = self.url(device_id) + "/healthz"
        while time.monotonic() < deadline:
            proc = self._procs.get(device_id)
            if proc is not None and proc.poll() is not None:
                raise BackendUnavailable(
                    f"agent {device_id} exited with {proc.returncode}; see "
                    f"{self._base / device_id / 'agent.log'}")
            try:
                if httpx.get(url, timeout=1.0,
                             headers=self.credentials.headers).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise BackendUnavailable(f"agent {device_id} did not start within "
                                 f"{self._start_timeout_s:g}s")

    def close(self) -> None:
        """Stop every agent and release connections."""
        for device in list(self._procs):
            self.stop(device)
        super().close()
