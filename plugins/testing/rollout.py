"""Conformance kit for rollout targets (group ``edgedeploy.rollout_targets``).

A rollout-target plugin's factory returns a
:class:`~edgedeploy.plugins.registry.RolloutTargetProvider`, which opens the fleet a
``FLEET.yaml`` of its ``kind`` describes. Subclass :class:`RolloutTargetContract` and provide
two fixtures: ``target`` (a target opened by your provider, with at least two devices, all
reachable; close it in the fixture's teardown) and ``model`` (a model reference your fleet
accepts)::

    class TestMyFleet(RolloutTargetContract):
        @pytest.fixture(name="target")
        def fx_target(self, tmp_path):
            target = my_plugin.factory().open({"kind": "my-fleet", ...}, tmp_path)
            yield target
            target.close()

The kit checks what the rollout controller relies on: devices with labels and unique ids,
``apply`` answering for every addressed device without raising, epochs ordering commands
(an older or equal epoch is ignored), ``running`` and ``health`` answering for any device.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from edgedeploy.application.ports.rollout import ApplyResult, RolloutTarget
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DesiredState, DeviceInfo

DIGEST = "sha256:" + "5e" * 32
"""A well-formed digest for commands the kit sends."""


class RolloutTargetContract:
    """What every rollout target must do; subclass it and provide ``target`` and ``model``."""

    @pytest.fixture(name="other_model")
    def fx_other_model(self, model: ModelRef) -> ModelRef:
        """A second version of the same model, for epoch-ordering checks."""
        return ModelRef(model.name, f"{model.version}-other")

    def test_the_target_satisfies_the_rollout_target_protocol(
            self, target: RolloutTarget) -> None:
        """The target satisfies the rollout target protocol."""
        assert isinstance(target, RolloutTarget)

    def test_devices_have_unique_ids_and_string_labels(self, target: RolloutTarget) -> None:
        """Devices have unique ids and string labels; there are at least two."""
        devices = target.devices()
        assert len(devices) >= 2
        assert all(isinstance(d, DeviceInfo) for d in devices)
        ids = [d.device_id for d in devices]
        assert len(ids) == len(set(ids))
        assert all(isinstance(k, str) and isinstance(v, str)
                   for d in devices for k, v in d.labels.items())

    def test_apply_answers_for_every_addressed_device(
            self, target: RolloutTarget, model: ModelRef) -> None:
        """Apply answers for every addressed device: acknowledged or unreachable, never both."""
        ids = [d.device_id for d in target.devices()[:2]]
        result = target.apply([DesiredState(i, model, DIGEST, 1) for i in ids])
        assert isinstance(result, ApplyResult)
        assert set(result.acknowledged) | set(result.unreachable) == set(ids)
        assert not set(result.acknowledged) & set(result.unreachable)

    def test_an_acknowledged_device_runs_the_desired_model(
            self, target: RolloutTarget, model: ModelRef) -> None:
        """An acknowledged device runs the desired model."""
        device = target.devices()[0].device_id
        result = target.apply([DesiredState(device, model, DIGEST, 1)])
        assert result.acknowledged == (device,)
        assert target.running([device]) == {device: model}

    def test_an_older_epoch_never_replaces_a_newer_one(
            self, target: RolloutTarget, model: ModelRef, other_model: ModelRef) -> None:
        """An older or equal epoch never replaces a newer one."""
        device = target.devices()[0].device_id
        target.apply([DesiredState(device, model, DIGEST, 5)])
        target.apply([DesiredState(device, other_model, DIGEST, 4)])
        target.apply([DesiredState(device, other_model, DIGEST, 5)])
        assert target.running([device]) == {device: model}
        target.apply([DesiredState(device, other_model, DIGEST, 6)])
        assert target.running([device]) == {device: other_model}

    def test_health_is_a_window_of_non_negative_counts(
            self, target: RolloutTarget, model: ModelRef) -> None:
        """Health is a window of non-negative counts over at most the asked devices."""
        ids = [d.device_id for d in target.devices()]
        target.apply([DesiredState(i, model, DIGEST, 1) for i in ids])
        window = target.health(ids, model, datetime.now(UTC) - timedelta(minutes=5))
        assert isinstance(window, HealthWindow)
        assert min(window.inferences, window.errors, window.timeouts, window.fallbacks,
                   window.low_confidence) >= 0
        assert 0 <= window.devices <= len(ids)

    def test_running_answers_for_every_asked_device(self, target: RolloutTarget) -> None:
        """Running answers for every asked device (None where it serves nothing)."""
        ids = [d.device_id for d in target.devices()]
        running = target.running(ids)
        assert set(running) == set(ids)
        assert all(m is None or isinstance(m, ModelRef) for m in running.values())
