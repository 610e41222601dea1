"""Optimize and verify (MLE.5): sensitivity-guided mixed precision, QAT, deployment checks."""

from edgedeploy.application.optimization.optimize import (
    OptimizationResult,
    OptimizeModel,
    OptimizeRequest,
    UnsafeModelFile,
    UnsupportedOperator,
)
from edgedeploy.application.optimization.progress import Progress, silent
from edgedeploy.application.optimization.release import (
    OptimizeAndRegister,
    OptimizedRelease,
    VerifyRegisteredModel,
)
from edgedeploy.application.optimization.verify import (
    VerificationResult,
    VerifyModel,
    VerifyRequest,
)

__all__ = [
    "OptimizationResult",
    "OptimizeAndRegister",
    "OptimizeModel",
    "OptimizedRelease",
    "OptimizeRequest",
    "Progress",
    "UnsafeModelFile",
    "UnsupportedOperator",
    "VerificationResult",
    "VerifyModel",
    "VerifyRegisteredModel",
    "VerifyRequest",
    "silent",
]
