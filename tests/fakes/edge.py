"""Fakes for the edge runtime: a scripted inference backend, packages and state in memory.

A scripted "model file" is JSON naming what the model does: the value of its ``tag`` output
(the version it encodes, so a test can tell which version produced an answer), whether it
fails, how slow it loads or runs.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from edgedeploy.application.edge.package import GoldenCase, ModelPackage
from edgedeploy.application.edge.ports import AgentState
from edgedeploy.application.ports.inference import Capabilities, ProbeResult, TensorSpec
from edgedeploy.domain.errors import NotFound
from edgedeploy.domain.models import ModelRef

INPUTS = (TensorSpec("x", (None, 4), "float32"),)
OUTPUTS = (TensorSpec("probs", (None, 3), "float32"), TensorSpec("tag", (None, 1), "float32"))


class ScriptedSession:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = dict(spec)
        self.inputs = tuple(TensorSpec(**s) if isinstance(s, dict) else s
                            for s in spec.get("inputs", INPUTS))
        self.outputs = OUTPUTS
        self.closed = False
        self.calls = 0
        self._lock = threading.Lock()

    def run(self, feeds: Mapping[str, Any]) -> dict[str, Any]:
        if self.closed:
            raise RuntimeError("session used after close")
        with self._lock:
            self.calls += 1
            calls = self.calls
        delay = self.spec.get("delay_ms", 0.0)
        if delay:
            time.sleep(delay / 1000.0)
        fail_every = self.spec.get("fail_every", 0)
        if fail_every and calls % fail_every == 0:
            raise RuntimeError("scripted failure")
        x = np.asarray(feeds["x"], dtype=np.float32)
        batch = x.shape[0]
        confidence = float(self.spec.get("confidence", 0.8))
        rest = (1.0 - confidence) / 2
        probs = np.tile(np.array([[confidence, rest, rest]], dtype=np.float32), (batch, 1))
        tag = np.full((batch, 1), float(self.spec["tag"]) + float(self.spec.get("skew", 0.0)),
                      dtype=np.float32)
        return {"probs": probs, "tag": tag}

    def close(self) -> None:
        self.closed = True


class ScriptedBackend:
    """Loads scripted model files; counts loads and can be slowed per file."""

    capabilities = Capabilities(1, "scripted", frozenset({"json"}), frozenset({"fp32"}),
                                frozenset({"cpu"}))

    def __init__(self) -> None:
        self.loads = 0
        self.sessions: list[ScriptedSession] = []

    def probe(self) -> ProbeResult:
        return ProbeResult(True, "always", frozenset({"cpu"}))

    def load(self, model_path: str, *, device: str = "cpu",
             options: Mapping[str, Any] | None = None) -> ScriptedSession:
        spec = json.loads(Path(model_path).read_text())
        if spec.get("load_delay_s"):
            time.sleep(spec["load_delay_s"])
        if spec.get("unloadable"):
            raise RuntimeError("invalid model file")
        self.loads += 1
        session = ScriptedSession(spec)
        self.sessions.append(session)
        return session

    def unsupported_operators(self, model_path: str, *, device: str = "cpu") -> list[str]:
        return []


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class InMemoryPackageSource:
    """Packages written as scripted model files under a directory, manifests in memory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.packages: dict[ModelRef, ModelPackage] = {}

    def add(self, model: ModelRef, tag: float, *, registry_digest: str | None = None,
            golden_tag: float | None = None, size_bytes: int | None = None,
            p99_budget_ms: float | None = None, **behaviour: Any) -> str:
        spec = {"tag": tag, **behaviour}
        data = json.dumps(spec, sort_keys=True).encode()
        path = self.root / f"{model}.json"
        path.write_bytes(data)
        digest = registry_digest or digest_of(data)
        x = np.ones((1, 4), dtype=np.float32)
        expected = {"tag": np.full((1, 1), tag if golden_tag is None else golden_tag,
                                   dtype=np.float32)}
        self.packages[model] = ModelPackage(
            model, digest, str(path), size_bytes or len(data), INPUTS, OUTPUTS,
            (GoldenCase({"x": x}, expected, 1e-4),), p99_budget_ms)
        return digest

    def get(self, model: ModelRef) -> ModelPackage:
        try:
            return self.packages[model]
        except KeyError:
            raise NotFound(f"no package {model}") from None

    def file_digest(self, path: str) -> str:
        return digest_of(Path(path).read_bytes())


class InMemoryAgentStateStore:
    def __init__(self) -> None:
        self.state = AgentState()
        self.saves = 0

    def load(self) -> AgentState:
        return self.state

    def save(self, state: AgentState) -> None:
        self.state = state
        self.saves += 1
