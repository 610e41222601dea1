"""Background inference traffic against agents, recording every answer's version tag."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import httpx
import numpy as np


@dataclass
class TrafficLog:
    answers: int = 0
    failures: list[str] = field(default_factory=list)
    mislabelled: list[tuple[str, float]] = field(default_factory=list)
    by_model: dict[str, int] = field(default_factory=dict)


class Traffic:
    """Threads that keep sending inferences to agents until stopped."""

    def __init__(self, urls: Sequence[str], *, threads_per_agent: int = 1,
                 tags: dict[str, float] | None = None, seed: int = 0,
                 headers: Mapping[str, str] | None = None) -> None:
        self.log = TrafficLog()
        self.headers = dict(headers or {})
        self.tags = tags or {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(url, seed + i), daemon=True)
                         for i, url in enumerate(u for u in urls
                                                 for _ in range(threads_per_agent))]

    def __enter__(self) -> Traffic:
        for t in self._threads:
            t.start()
        return self

    def wait_for_answers(self, count: int, timeout: float = 30.0) -> None:
        """Block until at least ``count`` answers arrived (a loaded machine starts slowly)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.log.answers >= count:
                    return
            time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=10)

    def _run(self, url: str, seed: int) -> None:
        rng = np.random.default_rng(seed)
        with httpx.Client(base_url=url, timeout=10, headers=self.headers) as client:
            while not self._stop.is_set():
                x = rng.normal(size=(1, 4)).astype(np.float32).tolist()
                try:
                    r = client.post("/v1/infer", json={"inputs": {"x": x}})
                except httpx.HTTPError as exc:
                    with self._lock:
                        self.log.failures.append(f"{url}: {exc}")
                    self._stop.wait(0.05)
                    continue
                with self._lock:
                    if r.status_code != 200:
                        self.log.failures.append(f"{url}: {r.status_code} {r.text[:200]}")
                        continue
                    body = r.json()
                    self.log.answers += 1
                    model = body["model"]
                    self.log.by_model[model] = self.log.by_model.get(model, 0) + 1
                    tag = float(body["outputs"]["tag"][0][0])
                    if model in self.tags and self.tags[model] != tag:
                        self.log.mislabelled.append((model, tag))
