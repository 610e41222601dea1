"""The agent's durable state as a JSON file, replaced atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from edgedeploy.application.edge.ports import AgentState
from edgedeploy.application.errors import BackendUnavailable
from edgedeploy.domain.models import ModelRef


class JsonFileAgentState:
    """:class:`edgedeploy.application.edge.ports.AgentStateStore` in ``<home>/state.json``.

    Writes go to a temporary file in the same directory, are fsynced and then renamed over
    the old file, so a crash or power cut leaves either the old or the new pointer, never a
    torn one (SR_EDGE_009).
    """

    def __init__(self, home: Path) -> None:
        self._path = home / "state.json"
        home.mkdir(parents=True, exist_ok=True)

    def load(self) -> AgentState:
        """The saved state, or the empty state when there is none."""
        if not self._path.exists():
            return AgentState()
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BackendUnavailable(f"agent state {self._path} unreadable: {exc}") from exc
        lkg = data.get("last_known_good")
        return AgentState(
            epoch=int(data.get("epoch", 0)),
            last_known_good=None if lkg is None else ModelRef.parse(lkg),
            last_known_good_digest=data.get("last_known_good_digest"),
            quarantine={k: (int(v[0]), float(v[1]))
                        for k, v in (data.get("quarantine") or {}).items()})

    def save(self, state: AgentState) -> None:
        """Replace the state file atomically."""
        payload = json.dumps({
            "epoch": state.epoch,
            "last_known_good": None if state.last_known_good is None
            else str(state.last_known_good),
            "last_known_good_digest": state.last_known_good_digest,
            "quarantine": {k: list(v) for k, v in state.quarantine.items()}},
            sort_keys=True, indent=1)
        try:
            fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".state-",
                                       suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).replace(self._path)
            dir_fd = os.open(self._path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise BackendUnavailable(f"agent state {self._path} not written: {exc}") from exc
