"""A fleet of edge agent processes on a local address, spawned and owned by this object."""

from __future__ import annotations

import contextlib
import json
import os
import signal
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

AGENT_MODULE = "edgedeploy.entrypoints.agent"
PID_FILE = "agent.pid"  # written by the agent (and here, at spawn) under its home


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie, dead but not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True  # no procfs: the signal probe is all there is
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def agent_command_line(pid: int) -> list[str] | None:
    """The arguments ``pid`` was started with; None where procfs cannot tell."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def signal_agent(pid: int, signum: int) -> None:
    """Send ``signum`` to an agent and whatever it started (its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)


def end_agents(pids: list[int], *, grace_s: float = 10.0) -> None:
    """SIGTERM every agent, wait up to ``grace_s`` for all, then SIGKILL any left."""
    for pid in pids:
        signal_agent(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(process_alive(p) for p in pids):
        time.sleep(0.05)
    for pid in pids:
        if process_alive(pid):
            signal_agent(pid, signal.SIGKILL)


class LocalAgentFleet(HttpFleet):
    """Edge agents as child processes (``python -m edgedeploy.entrypoints.agent``) on ``bind``.

    What the demo and the integration tests use. Every agent keeps its state under
    ``base/<device>``; all share one package ``repository``. ``stop``/``start`` take a device
    off line and back, to show convergence on reconnect. The agents and this controller share
    the secret in ``token_file``, by default ``base/fleet.token``, created (mode 0600) with a
    fresh secret on first use so a local fleet needs no setup.

    No agent outlives its controller unseen: each runs in its own process group, which
    ``close`` ends, and records itself in ``base/<device>/agent.pid``. A controller that starts
    where one was killed adopts each agent that is still this fleet's (same home, answering
    ``/healthz`` for its device with the fleet secret on the recorded port) and stops any other
    before starting a fresh one.
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
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._adopted: dict[str, int] = {}  # agents a previous controller started
        self._ports = {}
        for device in device_ids:
            port = self._adopt(device)
            self._ports[device] = port if port is not None else free_port(bind)
        super().__init__({d: f"http://{bind}:{p}" for d, p in self._ports.items()},
                         labels, credentials=self.credentials, swap_wait_s=swap_wait_s)
        try:
            for device in device_ids:
                if device not in self._adopted:
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
        self.stop(device_id)  # never two agents for one device
        log = (home / "agent.log").open("ab")
        # A session of its own: one group to end, and no terminal signal reaches it past
        # the controller, which stops it in order.
        proc = subprocess.Popen(
            [sys.executable, "-m", AGENT_MODULE, "--device-id", device_id,
             "--port", str(self._ports[device_id]), "--bind", self._bind,
             "--token-file", str(self._token_file), "--home", str(home),
             *(["--backend", self._backend] if self._backend else []),
             "--repository", str(self._repository)],
            cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self._procs[device_id] = proc
        # Recorded at once, before the agent records itself: a controller killed in between
        # still leaves its successor a trace of this process.
        self._write_pid_file(device_id, proc.pid)
        if wait:
            self._wait_ready(device_id)

    def stop(self, device_id: str, *, kill: bool = False) -> None:
        """Take one agent off line (SIGTERM, or SIGKILL with ``kill``)."""
        adopted = self._adopted.pop(device_id, None)
        if adopted is not None:
            if kill:
                signal_agent(adopted, signal.SIGKILL)
            end_agents([adopted])
            return
        proc = self._procs.pop(device_id, None)
        if proc is None:
            return
        signal_agent(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            signal_agent(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def pid(self, device_id: str) -> int | None:
        """Process id of a running agent (started here or adopted)."""
        proc = self._procs.get(device_id)
        return proc.pid if proc is not None else self._adopted.get(device_id)

    def adopted(self) -> list[str]:
        """Devices whose agent a previous controller started and this one took over."""
        return sorted(self._adopted)

    def _pid_file(self, device_id: str) -> Path:
        return self._base / device_id / PID_FILE

    def _write_pid_file(self, device_id: str, pid: int) -> None:
        path = self._pid_file(device_id)
        partial = path.with_name(f".{PID_FILE}.{os.getpid()}")
        partial.write_text(json.dumps({"pid": pid, "device_id": device_id,
                                       "port": self._ports[device_id], "bind": self._bind}),
                           encoding="utf-8")
        partial.replace(path)

    def _adopt(self, device_id: str) -> int | None:
        """The port of this device's agent left running by a previous controller, if adopted.

        An agent of this fleet that answers is adopted; one that does not (wrong port, another
        secret, hung) is stopped; a pid file naming no agent of this home is stale and removed.
        A process that is not verifiably this device's agent is never signalled.
        """
        path = self._pid_file(device_id)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            pid, port = int(record["pid"]), int(record["port"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError):
            path.unlink(missing_ok=True)
            return None
        if pid <= 1 or pid == os.getpid() or not process_alive(pid):
            path.unlink(missing_ok=True)
            return None
        args = agent_command_line(pid)
        home = str(self._base / device_id)
        ours = args is not None and AGENT_MODULE in args and _option(args, "--home") == home \
            and _option(args, "--device-id") == device_id
        if args is not None and not ours:
            path.unlink(missing_ok=True)  # the pid now belongs to another process
            return None
        if (args is None or _option(args, "--port") == str(port)) \
                and self._answers(device_id, port):
            self._adopted[device_id] = pid
            return port
        if ours:
            end_agents([pid])
        path.unlink(missing_ok=True)
        return None

    def _answers(self, device_id: str, port: int) -> bool:
        """Whether ``device_id``'s agent answers ``/healthz`` on ``port`` with this secret."""
        try:
            response = httpx.get(f"http://{self._bind}:{port}/healthz", timeout=2.0,
                                 headers=self.credentials.headers)
            return response.status_code == 200 and \
                response.json().get("device_id") == device_id
        except (httpx.HTTPError, ValueError, AttributeError):
            return False

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
        """Stop every agent (started here or adopted) and release connections."""
        procs, self._procs = self._procs, {}
        adopted, self._adopted = self._adopted, {}
        end_agents([p.pid for p in procs.values()] + list(adopted.values()))
        for proc in procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        super().close()


def _option(args: list[str], name: str) -> str | None:
    """The value after ``name`` in a command line."""
    try:
        return args[args.index(name) + 1]
    except (ValueError, IndexError):
        return None
