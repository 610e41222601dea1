"""The edge agent's core: hot swap with verification, probation and runtime monitoring."""

from edgedeploy.application.edge.monitor import RuntimeMonitor
from edgedeploy.application.edge.package import (
    GoldenCase,
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
from edgedeploy.application.edge.runtime import (
    EdgeConfig,
    EdgeRuntime,
    EdgeStatus,
    InferenceFailed,
    InferenceResult,
    MalformedRequest,
    SwapOutcome,
)

__all__ = [
    "MalformedRequest",
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
