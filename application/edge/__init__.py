"""The edge agent's core: hot swap with verification, probation and runtime monitoring."""

from application.edge.monitor import RuntimeMonitor
from application.edge.package import (
    GoldenCase,
    ModelPackage,
    SwapRefused,
    VerificationFailed,
    check_contract,
)
from application.edge.ports import AgentState, AgentStateStore, PackageSource, TensorTools
from application.edge.runtime import (
    EdgeConfig,
    EdgeRuntime,
    EdgeStatus,
    InferenceFailed,
    InferenceResult,
    SwapOutcome,
)

__all__ = [
    "AgentState",
    "AgentStateStore",
    "EdgeConfig",
    "EdgeRuntime",
    "EdgeStatus",
    "GoldenCase",
    "InferenceFailed",
    "InferenceResult",
    "ModelPackage",
    "PackageSource",
    "RuntimeMonitor",
    "SwapOutcome",
    "SwapRefused",
    "TensorTools",
    "VerificationFailed",
    "check_contract",
]
