"""Refusals of the roll-out use cases."""

from __future__ import annotations

from collections.abc import Sequence

from edgedeploy.domain.errors import Conflict, NotFound


class ReleaseNotReady(Conflict):
    """The model version failed the release gate; no device was touched (HTTP 409)."""

    code = "RELEASE_NOT_READY"

    def __init__(self, model: str, reasons: Sequence[str]) -> None:
        self.model = model
        self.reasons = tuple(reasons)
        super().__init__(f"{model} is not ready for release: " + "; ".join(self.reasons))


class RolloutNotFound(NotFound):
    """No roll-out has that id."""

    code = "ROLLOUT_NOT_FOUND"


class NoBaseline(Conflict):
    """The fleet's current model version is unknown, so there is nothing to compare with."""

    code = "ROLLOUT_NO_BASELINE"
