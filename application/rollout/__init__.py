"""Roll-out use cases: start, tick/run, approve, abort, roll back, resume, status, evidence."""

from application.rollout.commands import (
    AbortRollout,
    ApproveStage,
    ExportDecisionLog,
    ResumeRollout,
    RollbackRollout,
    RolloutStatus,
)
from application.rollout.engine import RolloutEngine
from application.rollout.errors import NoBaseline, ReleaseNotReady, RolloutNotFound
from application.rollout.start import StartRollout, StartRolloutCommand
from application.rollout.tick import RunOptions, RunRollout, TickRollout
from application.rollout.views import (
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
