"""Edge agent faults: corrupt or wrong-digest models never serve; swap storms fail nothing."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from edgedeploy.adapters.edge import NumpyTensorTools
from edgedeploy.adapters.fleet import LocalAgentFleet
from edgedeploy.application.edge import EdgeConfig, EdgeRuntime
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DesiredState
from tests.fakes.edge import InMemoryAgentStateStore, InMemoryPackageSource, ScriptedBackend
from tests.fakes.onnx_models import publish
from tests.fakes.traffic import Traffic

GOOD, CORRUPT, FORGED = ModelRef("aeb", "1.0"), ModelRef("aeb", "6.0"), ModelRef("aeb", "7.0")
STORM = [ModelRef("aeb", f"{i}.5") for i in range(1, 4)]
TAGS = {"aeb@1.0": 1.0, "aeb@6.0": 6.0, "aeb@7.0": 7.0,
        **{str(m): float(m.version) for m in STORM}}


@pytest.fixture(name="agent", scope="module")
def fx_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalAgentFleet,
                                                                         dict[ModelRef, str]]]:
    base = tmp_path_factory.mktemp("edge-faults")
    repo = base / "repository"
    digests = {GOOD: publish(repo, base / "build", GOOD, 1.0)}
    # A file damaged after the registry recorded its digest.
    digests[CORRUPT] = publish(repo, base / "build", CORRUPT, 6.0)
    model_file = repo / str(CORRUPT) / f"{CORRUPT}.onnx"
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_file.write_bytes(bytes(data))
    # A well-formed model whose bytes are not those the registry approved.
    publish(repo, base / "build", FORGED, 7.0, digest="sha256:" + "7" * 64)
    digests[FORGED] = "sha256:" + "7" * 64
    for m in STORM:
        digests[m] = publish(repo, base / "build", m, float(m.version))
    fleet = LocalAgentFleet(base / "agents", repo, ["ecu-f"],
                            env={"EDGEDEPLOY_AGENT_PROBATION_INFERENCES": "5"})
    fleet.apply([DesiredState("ecu-f", GOOD, digests[GOOD], 1)])
    yield fleet, digests
    fleet.close()


def swap(fleet: LocalAgentFleet, model: ModelRef, digest: str, epoch: int) -> dict[str, object]:
    r = httpx.put(fleet.url("ecu-f") + "/v1/desired",
                  json={"model": str(model), "digest": digest, "epoch": epoch, "wait": True},
                  headers=fleet.auth_headers, timeout=30)
    assert r.status_code == 200
    body: dict[str, object] = r.json()
    return body


@pytest.mark.parametrize(("model", "why"), [(CORRUPT, "does not match"),
                                            (FORGED, "does not match")])
def test_a_corrupt_or_wrong_digest_model_never_serves_a_request(agent, model, why):
    fleet, digests = agent
    epoch = int(httpx.get(fleet.url("ecu-f") + "/v1/status",
                          headers=fleet.auth_headers).json()["epoch"]) + 1
    with Traffic([fleet.url("ecu-f")], threads_per_agent=2, tags=TAGS,
                 headers=fleet.auth_headers) as traffic:
        traffic.wait_for_answers(5)
        outcome = swap(fleet, model, digests[model], epoch)
        traffic.wait_for_answers(traffic.log.answers + 5)
    assert outcome["status"] == "failed" and why in str(outcome["reason"])
    assert traffic.log.failures == [] and traffic.log.answers > 0
    assert str(model) not in traffic.log.by_model
    assert fleet.status("ecu-f")["model"] == str(GOOD)


def test_hundreds_of_swaps_over_http_under_concurrent_inference_fail_no_request(agent):
    fleet, digests = agent
    epoch = int(httpx.get(fleet.url("ecu-f") + "/v1/status",
                          headers=fleet.auth_headers).json()["epoch"]) + 1
    with Traffic([fleet.url("ecu-f")], threads_per_agent=3, tags=TAGS,
                 headers=fleet.auth_headers) as traffic:
        for i in range(150):
            m = STORM[i % len(STORM)]
            outcome = swap(fleet, m, digests[m], epoch + i)
            assert outcome["status"] in ("applied", "noop"), outcome
    assert traffic.log.failures == [] and traffic.log.mislabelled == []
    assert len(traffic.log.by_model) >= 3


def storm(tmp_path: Path, swaps: int) -> tuple[int, list[Exception], list[object]]:
    backend, packages = ScriptedBackend(), InMemoryPackageSource(tmp_path)
    versions = [ModelRef("aeb", f"{i}.0") for i in range(1, 5)]
    for i, v in enumerate(versions, start=1):
        packages.add(v, float(i))
    runtime = EdgeRuntime("storm", backend, packages, InMemoryAgentStateStore(),
                          NumpyTensorTools(), EdgeConfig(probation_inferences=1))
    runtime.start()
    failures: list[Exception] = []
    mislabelled: list[object] = []
    served = [0]
    stop = threading.Event()
    x = {"x": np.ones((1, 4), dtype=np.float32)}

    def client() -> None:
        while not stop.is_set():
            try:
                r = runtime.infer(x)
            except Exception as exc:  # every failure is kept for the assertion
                failures.append(exc)
                continue
            served[0] += 1
            if float(r.outputs["tag"][0, 0]) != float(r.model.split("@")[1]):
                mislabelled.append(r)

    applied = [0]

    def do_swap(model: ModelRef, epoch: int) -> None:
        o = runtime.request_swap(model, packages.get(model).digest, epoch)
        if o.generation and not o.done:
            o = runtime.wait(o.generation, 10) or o
        applied[0] += o.status == "applied"

    do_swap(versions[0], 1)
    applied[0] = 0
    threads = [threading.Thread(target=client) for _ in range(4)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        for t in threads:
            t.start()
        for epoch in range(2, swaps + 2):
            do_swap(versions[epoch % len(versions)], epoch)
    finally:
        stop.set()
        for t in threads:
            t.join()
        sys.setswitchinterval(interval)
        runtime.close()
    assert served[0] > 0
    return applied[0], failures, mislabelled


def test_a_thousand_swaps_under_concurrent_inference_fail_no_request(tmp_path):
    applied, failures, mislabelled = storm(tmp_path, 1_000)
    assert failures == [] and mislabelled == []
    assert applied == 1_000


@pytest.mark.slow
def test_ten_thousand_swaps_under_concurrent_inference_fail_no_request(tmp_path):
    applied, failures, mislabelled = storm(tmp_path, 10_000)
    assert failures == [] and mislabelled == []
    assert applied == 10_000
