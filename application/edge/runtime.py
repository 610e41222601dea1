"""The edge runtime: serve inference and hot-swap model versions safely (SR_EDGE_001..012).

Swap protocol, as opposed to swapping a model object in place:

1. **Load in the background**, on one worker thread; one load at a time, with a timeout and
   cooperative cancel. Each request gets a *generation*; a newer request cancels an older
   load and only the latest generation may commit.
2. **Verify before commit**: the file's SHA-256 against the registry digest, the session's
   input/output contract, and golden-input smoke inference within a tolerance. A swap that
   would exceed the memory budget (old and new resident together) is refused.
3. **Switch atomically**: model, version, digest and session live in one immutable slot
   replaced under one lock, so every answer names the version that produced it.
4. **Probation**: the first N inferences of a new version are watched; an error, a timeout
   or a p99 over budget reverts to the last-known-good version (kept loaded meanwhile) and
   quarantines the failing version with exponential back-off. The rules are the domain's
   :class:`~edgedeploy.domain.edge_policy.Probation` and
   :class:`~edgedeploy.domain.edge_policy.Quarantine` values; this module only drives them.
   Passing probation makes the version last-known-good, persisted atomically so it survives
   a restart.

Counting: one inference is one ROW of a request. A batched ``infer`` of N rows counts N
inferences in the monitor and in probation; a failure, timeout or fallback of the request
counts for each of its rows, low confidence is judged row by row, and the request's latency
is entered once per row (see :mod:`edgedeploy.application.edge.monitor`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import structlog

from edgedeploy.application.edge.monitor import RuntimeMonitor
from edgedeploy.application.edge.package import (
    ModelPackage,
    SwapRefused,
    VerificationFailed,
    check_contract,
)
from edgedeploy.application.edge.ports import (
    AgentState,
    AgentStateStore,
    PackageSource,
    TensorTools,
)
from edgedeploy.application.errors import BackendUnavailable, InvalidInput
from edgedeploy.application.ports.inference import InferenceBackend, InferenceSession
from edgedeploy.domain.edge_policy import (
    Probation,
    ProbationLimits,
    ProbationState,
    Quarantine,
    QuarantinePolicy,
    admit_epoch,
    request_misfits,
)
from edgedeploy.domain.errors import DomainError
from edgedeploy.domain.models import ModelRef

log = structlog.get_logger(__name__)


def _shape(value: Any) -> tuple[int, ...] | None:
    """The shape of an array-like input; None for anything that is not a tensor."""
    shape = getattr(value, "shape", None)
    if not isinstance(shape, tuple) or not all(isinstance(d, int) for d in shape):
        return None
    return shape


class InferenceFailed(BackendUnavailable):
    """The model failed on this input and no fallback could answer."""

    code = "EDGE_INFERENCE_FAILED"


class MalformedRequest(InvalidInput):
    """The request does not fit the model's input contract: the caller's fault, not the model's.

    It is answered 400, counted apart as a client error, and never reaches the model, its
    health figures or its probation.
    """

    code = "EDGE_REQUEST_MALFORMED"


@dataclass(frozen=True, slots=True)
class EdgeConfig:
    """Limits of one edge agent.

    Attributes:
        memory_budget_bytes: what model sessions may occupy together during a swap.
        memory_factor: resident bytes per byte of model file (session overhead).
        load_timeout_s: a load taking longer is abandoned.
        probation_inferences: inferences a new version must serve cleanly.
        probation_max_errors: errors tolerated during probation.
        probation_max_timeouts: timeouts tolerated during probation.
        inference_timeout_ms: an inference slower than this counts as a timeout.
        confidence_floor: a top-class probability below this counts as low confidence.
        quarantine_base_s: first quarantine period; doubles with each failure.
        quarantine_max_s: longest quarantine period.
    """

    memory_budget_bytes: int = 512 * 1024 * 1024
    memory_factor: float = 2.0
    load_timeout_s: float = 30.0
    probation_inferences: int = 50
    probation_max_errors: int = 0
    probation_max_timeouts: int = 0
    inference_timeout_ms: float = 1_000.0
    confidence_floor: float = 0.5
    quarantine_base_s: float = 30.0
    quarantine_max_s: float = 3_600.0

    def __post_init__(self) -> None:
        # Invalid limits fail when the agent starts, not at its first swap.
        _ = self.probation_limits, self.quarantine_policy

    @property
    def probation_limits(self) -> ProbationLimits:
        """The domain's probation limits these settings describe."""
        return ProbationLimits(self.probation_inferences, self.probation_max_errors,
                               self.probation_max_timeouts)

    @property
    def quarantine_policy(self) -> QuarantinePolicy:
        """The domain's quarantine periods these settings describe."""
        return QuarantinePolicy(self.quarantine_base_s, self.quarantine_max_s)


@dataclass(slots=True, eq=False)
class _Slot:
    """A loaded model version; closed once retired and no inference uses it."""

    package: ModelPackage
    session: InferenceSession
    generation: int
    inflight: int = 0
    retired: bool = False
    closed: bool = False

    @property
    def model(self) -> ModelRef:
        return self.package.model


@dataclass(slots=True)
class _Probation:
    """The last-known-good slot kept loaded, and the domain's probation value so far."""

    previous: _Slot | None
    watch: Probation


@dataclass(frozen=True, slots=True)
class InferenceResult:
    """One answer and the version that produced it."""

    model: str
    digest: str
    outputs: dict[str, Any]
    latency_ms: float
    fallback: bool = False
    timed_out: bool = False
    low_confidence: bool = False
    """True when any row's top-class probability is below the confidence floor."""
    rows: int = 1
    """Inferences this request counted for (its batch size)."""
    low_confidence_rows: int = 0
    """Rows below the confidence floor."""


@dataclass(frozen=True, slots=True)
class SwapOutcome:
    """What became of one swap request (``generation``)."""

    generation: int
    model: str
    epoch: int
    status: str
    """``queued``, ``loading``, ``applied``, ``noop``, ``stale``, ``failed``, ``refused``,
    ``superseded`` or ``cancelled``."""
    reason: str = ""

    @property
    def done(self) -> bool:
        """True once the request will not change any more."""
        return self.status not in ("queued", "loading")


@dataclass(frozen=True, slots=True)
class EdgeStatus:
    """What the agent serves and holds."""

    device_id: str
    model: str | None
    digest: str | None
    epoch: int
    last_known_good: str | None
    probation_remaining: int
    loading: int | None
    quarantine: dict[str, float]
    last_swap: SwapOutcome | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        swap = self.last_swap
        return {"device_id": self.device_id, "model": self.model, "digest": self.digest,
                "epoch": self.epoch, "last_known_good": self.last_known_good,
                "probation_remaining": self.probation_remaining, "loading": self.loading,
                "quarantine": self.quarantine,
                "last_swap": None if swap is None else {
                    "generation": swap.generation, "model": swap.model, "epoch": swap.epoch,
                    "status": swap.status, "reason": swap.reason}}


@dataclass(slots=True)
class _Request:
    generation: int
    model: ModelRef
    digest: str
    epoch: int


class EdgeRuntime:
    """Inference and hot swap for one device slot."""

    def __init__(self, device_id: str, backend: InferenceBackend, packages: PackageSource,
                 state_store: AgentStateStore, tensors: TensorTools,
                 config: EdgeConfig | None = None, monitor: RuntimeMonitor | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.device_id = device_id
        self.config = config or EdgeConfig()
        self.monitor = monitor or RuntimeMonitor()
        self._backend, self._packages, self._store = backend, packages, state_store
        self._tensors, self._clock = tensors, clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._active: _Slot | None = None
        self._probation: _Probation | None = None
        self._state = AgentState()
        self._generation = 0
        self._pending: _Request | None = None
        self._loading: _Request | None = None
        self._outcomes: dict[int, SwapOutcome] = {}
        self._last: SwapOutcome | None = None
        self._stopping = False
        self._worker = threading.Thread(target=self._work, name=f"swap-{device_id}",
                                        daemon=True)

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Restore the last-known-good version (verified again) and start the swap worker."""
        self._state = self._store.load()
        lkg, digest = self._state.last_known_good, self._state.last_known_good_digest
        if lkg is not None and digest is not None:
            try:
                package = self._verified_package(lkg, digest)
                slot = self._load_and_check(package, 0)
                with self._lock:
                    self._active = slot
                log.info("edge.restored", device=self.device_id, model=str(lkg))
            except (DomainError, BackendUnavailable) as exc:
                log.error("edge.restore_failed", device=self.device_id, model=str(lkg),
                          reason=str(exc))
        self._worker.start()

    def close(self) -> None:
        """Stop the worker and release every session."""
        with self._lock:
            self._stopping = True
            self._changed.notify_all()
            slots = [self._active] + ([self._probation.previous] if self._probation else [])
            self._active, self._probation = None, None
        for slot in slots:
            if slot is not None:
                self._retire(slot)
        if self._worker.is_alive():
            self._worker.join(timeout=5)

    # --- inference ------------------------------------------------------------------------

    def infer(self, feeds: Mapping[str, Any]) -> InferenceResult:
        """Run one (batched) request on the active version; the result names that version.

        Every row of the batch counts as one inference for health and probation.

        Raises:
            BackendUnavailable: no model is installed.
            MalformedRequest: the tensors do not fit the input contract (nothing is run).
            InferenceFailed: the model failed and no fallback could answer.
        """
        with self._lock:
            slot = self._active
            if slot is None:
                raise BackendUnavailable(f"device {self.device_id} serves no model yet")
            misfits = request_misfits(
                {spec.name: spec.shape for spec in slot.package.inputs},
                {name: _shape(value) for name, value in feeds.items()})
            if not misfits:
                slot.inflight += 1
        if misfits:
            self.monitor.record_rejected(str(slot.model))
            raise MalformedRequest(f"request does not fit {slot.model}: {'; '.join(misfits)}")
        start = time.perf_counter()
        error, fallback = False, False
        outputs: dict[str, Any] | None
        answered: _Slot | None
        try:
            try:
                outputs = slot.session.run(feeds)
                answered = slot
            except Exception as exc:
                error = True
                log.warning("edge.inference_error", device=self.device_id,
                            model=str(slot.model), reason=str(exc))
                outputs, answered = self._fallback(feeds, slot)
                fallback = answered is not None
        finally:
            self._release(slot)
        latency_ms = (time.perf_counter() - start) * 1000.0
        timed_out = latency_ms > self.config.inference_timeout_ms
        rows = max(1, self._tensors.rows(feeds))
        confidences = [] if outputs is None else self._tensors.row_confidences(outputs)
        low = sum(1 for c in confidences[:rows] if c < self.config.confidence_floor)
        self.monitor.record(str(slot.model), latency_ms, rows=rows, error=error,
                            timeout=timed_out, fallback=fallback, low_confidence=low)
        self._watch_probation(slot, latency_ms, error, timed_out, rows)
        if outputs is None or answered is None:
            raise InferenceFailed(f"{slot.model} failed on this input and no last-known-good "
                                  "version could answer")
        return InferenceResult(str(answered.model), answered.package.digest, outputs,
                               latency_ms, fallback, timed_out, low > 0, rows, low)

    def _fallback(self, feeds: Mapping[str, Any],
                  failed: _Slot) -> tuple[dict[str, Any] | None, _Slot | None]:
        with self._lock:
            previous = self._probation.previous if self._probation else None
            if previous is None or previous is failed or previous.closed:
                return None, None
            previous.inflight += 1
        try:
            return previous.session.run(feeds), previous
        except Exception:
            return None, None
        finally:
            self._release(previous)

    # --- probation ------------------------------------------------------------------------

    def _watch_probation(self, slot: _Slot, latency_ms: float, error: bool,
                         timed_out: bool, rows: int = 1) -> None:
        # The rules are the domain's (Probation); the runtime only feeds and acts on them.
        with self._lock:
            probation = self._probation
            if probation is None or self._active is not slot:
                return
            probation.watch = probation.watch.observe(latency_ms, error=error,
                                                      timed_out=timed_out, rows=rows)
            state, reason = probation.watch.verdict()
        if state is ProbationState.FAILED:
            self._revert(slot, reason)
        elif state is ProbationState.PASSED:
            self._pass_probation(slot)

    def _pass_probation(self, slot: _Slot) -> None:
        with self._lock:
            if self._active is not slot or self._probation is None:
                return
            previous = self._probation.previous
            self._probation = None
            self._state = replace(self._state, last_known_good=slot.model,
                                  last_known_good_digest=slot.package.digest)
            state = self._state
        self._store.save(state)
        log.info("edge.probation_passed", device=self.device_id, model=str(slot.model))
        if previous is not None:
            self._retire(previous)

    def _revert(self, slot: _Slot, reason: str) -> None:
        now = self._clock()
        with self._lock:
            if self._active is not slot or self._probation is None:
                return
            previous = self._probation.previous
            self._active, self._probation = previous, None
            key = str(slot.model)
            quarantine = Quarantine(self._state.quarantine).failed(
                key, now, self.config.quarantine_policy)
            self._state = replace(self._state, quarantine=dict(quarantine.entries))
            state = self._state
            self._last = SwapOutcome(slot.generation, key, state.epoch, "failed",
                                     f"reverted in probation: {reason}")
        self._store.save(state)
        log.warning("edge.reverted", device=self.device_id, model=str(slot.model),
                    reason=reason, restored=None if previous is None else str(previous.model))
        self._retire(slot)

    # --- swap requests --------------------------------------------------------------------

    def request_swap(self, model: ModelRef, digest: str, epoch: int) -> SwapOutcome:
        """Ask for ``model`` at ``epoch``; commands are idempotent by epoch.

        The agent's own epoch again is answered ``stale`` and changes nothing. A newer one
        within the domain's window (:func:`~edgedeploy.domain.edge_policy.admit_epoch`) is
        persisted first; if the version already serves (or is last-known-good and still
        loaded) it switches at once, else a background load starts and cancels any older one.

        Raises:
            EpochOutOfRange: the epoch is older than the agent's or too far ahead of it.
        """
        with self._lock:
            if not admit_epoch(self._state.epoch, epoch):
                return SwapOutcome(0, str(model), epoch, "stale",
                                   f"agent is at epoch {self._state.epoch}")
            self._state = replace(self._state, epoch=epoch)
            state = self._state
        self._store.save(state)
        with self._lock:
            self._generation += 1
            generation = self._generation
            active = self._active
            if active is not None and active.model == model and active.package.digest == digest:
                self._pending = None
                outcome = SwapOutcome(generation, str(model), epoch, "noop", "already serving")
                return self._finish(outcome)
            previous = self._probation.previous if self._probation else None
            if (previous is not None and previous.model == model
                    and previous.package.digest == digest and active is not None):
                # Back to the last-known-good that is still loaded: switch without a load.
                self._active, self._probation, self._pending = previous, None, None
                candidate = active
                outcome = self._finish(SwapOutcome(generation, str(model), epoch, "applied",
                                                   "switched back to last-known-good"))
            else:
                candidate = None
                self._pending = _Request(generation, model, digest, epoch)
                outcome = SwapOutcome(generation, str(model), epoch, "queued")
                self._outcomes[generation] = outcome
                self._changed.notify_all()
        if candidate is not None:
            self._retire(candidate)
        return outcome

    def cancel(self) -> None:
        """Cancel the queued and the running load (the running one is discarded when done)."""
        with self._lock:
            if self._pending is not None:
                self._finish(SwapOutcome(self._pending.generation, str(self._pending.model),
                                         self._pending.epoch, "cancelled", "cancelled"))
                self._pending = None
            if self._loading is not None:
                self._generation += 1  # the running load is no longer the latest

    def wait(self, generation: int, timeout: float = 60.0) -> SwapOutcome | None:
        """Block until swap ``generation`` is done (or ``timeout``); None if unknown."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                outcome = self._outcomes.get(generation)
                if outcome is None or outcome.done:
                    return outcome
                left = deadline - time.monotonic()
                if left <= 0:
                    return outcome
                self._changed.wait(left)

    def input_dtype(self, name: str) -> str | None:
        """The element type the active version's contract gives input ``name``."""
        with self._lock:
            active = self._active
        if active is None:
            return None
        return next((s.dtype for s in active.package.inputs if s.name == name), None)

    def status(self) -> EdgeStatus:
        """What the agent serves now."""
        now = self._clock()
        with self._lock:
            active, state = self._active, self._state
            return EdgeStatus(
                self.device_id, None if active is None else str(active.model),
                None if active is None else active.package.digest, state.epoch,
                None if state.last_known_good is None else str(state.last_known_good),
                0 if self._probation is None else self._probation.watch.remaining,
                None if self._loading is None else self._loading.generation,
                Quarantine(state.quarantine).active(now),
                self._last)

    # --- the worker -----------------------------------------------------------------------

    def _finish(self, outcome: SwapOutcome) -> SwapOutcome:
        # Caller holds the lock.
        self._outcomes[outcome.generation] = outcome
        if len(self._outcomes) > 1024:
            for old in sorted(self._outcomes)[:512]:
                del self._outcomes[old]
        self._last = outcome
        self._changed.notify_all()
        return outcome

    def _work(self) -> None:
        while True:
            with self._lock:
                while self._pending is None and not self._stopping:
                    self._changed.wait()
                if self._stopping:
                    return
                request, self._pending = self._pending, None
                assert request is not None
                self._loading = request
                self._outcomes[request.generation] = SwapOutcome(
                    request.generation, str(request.model), request.epoch, "loading")
            try:
                self._install(request)
            except (DomainError, BackendUnavailable) as exc:
                status = "refused" if isinstance(exc, SwapRefused) else "failed"
                with self._lock:
                    self._finish(SwapOutcome(request.generation, str(request.model),
                                             request.epoch, status, exc.message))
                log.warning("edge.swap_failed", device=self.device_id,
                            model=str(request.model), reason=exc.message)
            except Exception as exc:
                with self._lock:
                    self._finish(SwapOutcome(request.generation, str(request.model),
                                             request.epoch, "failed", f"load failed: {exc}"))
            finally:
                with self._lock:
                    self._loading = None

    def _install(self, request: _Request) -> None:
        now = self._clock()
        key = str(request.model)
        with self._lock:
            quarantine = Quarantine(self._state.quarantine)
        if (left := quarantine.remaining(key, now)) > 0:
            raise SwapRefused(f"{key} is quarantined for {left:.0f}s more after "
                              f"{quarantine.failures(key)} failure(s)")
        package = self._verified_package(request.model, request.digest)
        with self._lock:
            resident = [s for s in (self._active,
                                    self._probation.previous if self._probation else None)
                        if s is not None]
        need = package.size_bytes * self.config.memory_factor
        held = sum(s.package.size_bytes * self.config.memory_factor for s in resident)
        if need + held > self.config.memory_budget_bytes:
            raise SwapRefused(
                f"{key} needs {need / 2**20:.1f} MiB beside {held / 2**20:.1f} MiB resident; "
                f"budget {self.config.memory_budget_bytes / 2**20:.1f} MiB")
        slot = self._load_and_check(package, request.generation)
        retire: list[_Slot] = []
        with self._lock:
            if request.generation != self._generation or self._stopping:
                self._finish(SwapOutcome(request.generation, key, request.epoch,
                                         "superseded", "a newer request arrived"))
                retire.append(slot)
            else:
                active = self._active
                if self._probation is not None:
                    previous = self._probation.previous
                    if active is not None:
                        retire.append(active)
                else:
                    previous = active
                self._active = slot
                self._probation = _Probation(previous, Probation(
                    self.config.probation_limits, slot.package.p99_budget_ms))
                self._finish(SwapOutcome(request.generation, key, request.epoch, "applied",
                                         "verified and switched; on probation"))
        for old in retire:
            self._retire(old)
        if not retire or retire[0] is not slot:
            log.info("edge.swapped", device=self.device_id, model=key)

    def _verified_package(self, model: ModelRef, digest: str) -> ModelPackage:
        package = self._packages.get(model)
        if package.digest != digest:
            raise VerificationFailed(
                f"{model}: package digest {package.digest} is not the registry digest {digest}")
        actual = self._packages.file_digest(package.path)
        if actual != digest:
            raise VerificationFailed(
                f"{model}: file digest {actual} does not match the registry digest {digest}; "
                "the file is corrupt or was replaced")
        return package

    def _load_and_check(self, package: ModelPackage, generation: int) -> _Slot:
        session = self._load_with_timeout(package, generation)
        try:
            check_contract(package, tuple(session.inputs), tuple(session.outputs))
            for index, case in enumerate(package.golden):
                outputs = session.run(case.inputs)
                for name, expected in case.outputs.items():
                    if name not in outputs:
                        raise VerificationFailed(
                            f"{package.model}: golden case {index} produced no '{name}'")
                    diff = self._tensors.max_abs_diff(outputs[name], expected)
                    if not diff <= case.tolerance:
                        raise VerificationFailed(
                            f"{package.model}: golden case {index} output '{name}' differs by "
                            f"{diff:.3g} (tolerance {case.tolerance:.3g})")
        except VerificationFailed:
            session.close()
            raise
        except Exception as exc:
            session.close()
            raise VerificationFailed(f"{package.model}: smoke inference failed: {exc}") from exc
        return _Slot(package, session, generation)

    def _load_with_timeout(self, package: ModelPackage, generation: int) -> InferenceSession:
        box: dict[str, Any] = {}
        abandoned = threading.Event()

        def load() -> None:
            try:
                session = self._backend.load(package.path)
            except Exception as exc:
                box["error"] = exc
                return
            box["session"] = session
            if abandoned.is_set():
                session.close()

        loader = threading.Thread(target=load, name=f"load-{package.model}", daemon=True)
        loader.start()
        deadline = time.monotonic() + self.config.load_timeout_s
        while loader.is_alive():
            loader.join(timeout=min(0.05, max(0.0, deadline - time.monotonic())))
            with self._lock:
                cancelled = generation not in (0, self._generation)
            if cancelled or time.monotonic() >= deadline:
                abandoned.set()
                if "session" in box:
                    box["session"].close()
                if cancelled:
                    raise SwapRefused(f"load of {package.model} cancelled by a newer request")
                raise VerificationFailed(
                    f"load of {package.model} exceeded {self.config.load_timeout_s:g}s")
        if "error" in box:
            raise VerificationFailed(f"{package.model} failed to load: {box['error']}")
        session: InferenceSession = box["session"]
        return session

    # --- slot reference counting ----------------------------------------------------------

    def _release(self, slot: _Slot) -> None:
        close = False
        with self._lock:
            slot.inflight -= 1
            if slot.retired and slot.inflight == 0 and not slot.closed:
                slot.closed = close = True
        if close:
            slot.session.close()

    def _retire(self, slot: _Slot) -> None:
        close = False
        with self._lock:
            slot.retired = True
            if slot.inflight == 0 and not slot.closed:
                slot.closed = close = True
        if close:
            slot.session.close()
