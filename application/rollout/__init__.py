"""Roll-out use cases: start, tick/run, approve, abort, roll back, resume, status, evidence."""

from edgedeploy.application.rollout.commands import (
    AbortRollout,
    ApproveStage,
    ExportDecisionLog,
    ResumeRollout,
    RollbackRollout,
    RolloutStatus,
)
from edgedeploy.application.rollout.engine import RolloutEngine
from edgedeploy.application.rollout.errors import NoBaseline, ReleaseNotReady, RolloutNotFound
from edgedeploy.application.rollout.start import StartRollout, StartRolloutCommand
from edgedeploy.application.rollout.tick import RunOptions, RunRollout, TickRollout
from edgedeploy.application.rollout.views import (
    DecisionLogExport,
    RolloutView,
    StageView,
    TickResult,
)

__all__ = [
    "AbortRollout",
    "ApproveStage",
    "DecisionLogExport",
    "ExportDecisionLog",
    "NoBaseline",
    "ReleaseNotReady",
    "ResumeRollout",
    "RollbackRollout",
    "RolloutEngine",
    "RolloutNotFound",
    "RolloutStatus",
    "RolloutView",
    "RunOptions",
    "RunRollout",
    "StageView",
    "StartRollout",
    "StartRolloutCommand",
    "TickResult",
    "TickRollout",
]
