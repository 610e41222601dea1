"""Roll-out use cases: start, tick/run, approve, abort, roll back, resume, status, evidence."""

from edgedeploy.application.rollout.commands import (
    AbortRollout,
    ApproveStage,
    ExportDecisionLog,
    ResumeRollout,
    RollbackRollout,
    RolloutStatus,
)
from edgedeploy.application.rollout.controls import FleetSession, RolloutControls, RolloutFleets
from edgedeploy.application.rollout.engine import RolloutEngine
from edgedeploy.application.rollout.errors import NoBaseline, ReleaseNotReady, RolloutNotFound
from edgedeploy.application.rollout.evidence import (
    DecisionHook,
    RecordEvidenceWhenFinished,
    RecordRolloutEvidence,
    chain_hooks,
)
from edgedeploy.application.rollout.queries import ListRollouts
from edgedeploy.application.rollout.readiness import TraceAndVerificationReadiness
from edgedeploy.application.rollout.start import (
    PrepareRollout,
    StartRollout,
    StartRolloutCommand,
    registered_digest,
    release_asil,
    require_ready,
    start_command,
)
from edgedeploy.application.rollout.tick import RunOptions, RunRollout, TickRollout
from edgedeploy.application.rollout.ticker import RolloutTicker
from edgedeploy.application.rollout.views import (
    DecisionLogExport,
    RolloutView,
    StageView,
    TickResult,
)

__all__ = [
    "AbortRollout",
    "ApproveStage",
    "DecisionHook",
    "DecisionLogExport",
    "ExportDecisionLog",
    "FleetSession",
    "ListRollouts",
    "NoBaseline",
    "PrepareRollout",
    "RecordEvidenceWhenFinished",
    "RecordRolloutEvidence",
    "ReleaseNotReady",
    "ResumeRollout",
    "RollbackRollout",
    "RolloutControls",
    "RolloutEngine",
    "RolloutFleets",
    "RolloutNotFound",
    "RolloutStatus",
    "RolloutTicker",
    "RolloutView",
    "RunOptions",
    "RunRollout",
    "StageView",
    "StartRollout",
    "StartRolloutCommand",
    "TickResult",
    "TickRollout",
    "TraceAndVerificationReadiness",
    "chain_hooks",
    "registered_digest",
    "release_asil",
    "require_ready",
    "start_command",
]
