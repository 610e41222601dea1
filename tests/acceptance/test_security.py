"""The separation-of-duties scenarios, bound to their feature file."""

from pytest_bdd import scenarios

from tests.acceptance.steps_security import *  # noqa: F403

scenarios("security/separation_of_duties.feature")
