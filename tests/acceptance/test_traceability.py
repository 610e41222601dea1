"""The traceability scenarios, bound to their feature files."""

from pytest_bdd import scenarios

from tests.acceptance.steps_traceability import *  # noqa: F403

scenarios("traceability/release_gate.feature", "traceability/change_impact.feature",
          "traceability/requirement_import.feature")
