"""Property-based tests of the HTTP API, generated from the running server's OpenAPI document.

Schemathesis draws requests for every operation the document lists (valid ones, and invalid
ones that the API must refuse with a 4xx) and sends them to a real server on loopback. Every
answer must be no server error and match its operation's declared status codes, media types
and response schema. The caller holds every role, so a refusal by role cannot hide a handler's
crash; a second pass sends no credential and must get only 401.

Operations that start background work are fuzzed like the rest, because their inputs fail
fast: ``optimize`` checks that its source and calibration files exist on the server before a
job starts, ``verify`` starts a job that ends as soon as it finds the version unregistered,
and ``deploy`` checks the release gate before any fleet is opened. Nothing is skipped.

Each operation gets a fixed number of examples, drawn deterministically (``derandomize``), so
a run is reproducible and bounded on a busy two-core machine.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from edgedeploy.domain.identity import Role
from tests.e2e.conftest import ADMIN

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 25
"""Examples per operation and generation mode: enough to reach every declared parameter."""

ANONYMOUS_EXAMPLES = 10
"""Examples per operation without a credential: the guard answers before anything is read."""

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
"""What every answer must satisfy."""

AUTH_CHECKS = [ignored_auth]
"""With a credential: an operation that succeeds must refuse the same request without one."""

NEGATIVE_CHECKS = [negative_data_rejection]
"""An invalid request must be refused with a 4xx, never accepted."""

CONFIG = schemathesis.Config.from_dict({"generation": {
    # The credential is sent explicitly with every case (and left out in the anonymous pass),
    # so the bearer header is never generated nor made invalid by the generator.
    "with-security-parameters": False,
    # Unknown query parameters are ignored by design (as by most HTTP APIs), so a request
    # that only adds one is valid and is not drawn as an invalid one.
    "allow-extra-parameters": False,
}})


@dataclass
class Tally:
    """Cases sent and failures found, per operation."""

    cases: int = 0
    failures: dict[str, str] = field(default_factory=dict)
    untestable: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    def report(self) -> str:
        """The failures, one block per operation."""
        return "\n\n".join(f"{label}:\n{message}" for label, message in self.failures.items())


@pytest.fixture(name="schema")
def fx_schema(server):
    """The OpenAPI document the running server serves."""
    base, _ = server
    return schemathesis.openapi.from_url(f"{base}/schema/openapi.json", timeout=30,
                                         config=CONFIG)


@pytest.fixture(name="all_roles_token")
def fx_all_roles_token(server) -> str:
    """A token of a principal holding every role, so authorization never masks a crash."""
    container = server[1]
    container.manage_principals().add("fuzz.all", frozenset(Role), by=ADMIN, unit="qa")
    return container.issue_token()("fuzz.all", by=ADMIN, lifetime=timedelta(hours=2),
                                   label="schema").secret


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "\n".join(_describe(inner) for inner in exc.exceptions)
    return str(exc)[:2000]


def _is_guarded(operation) -> bool:
    return bool(operation.definition.raw.get("security"))


def _fuzz(schema, base: str, headers: dict[str, str], mode: GenerationMode,
          checks: list[Callable[..., Any]], *, max_examples: int = MAX_EXAMPLES,
          expect: Callable[[Any, Any], None] | None = None) -> Tally:
    """Send ``max_examples`` cases of every operation; ``expect`` adds a per-answer assertion."""
    tally = Tally()
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=max_examples, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case) -> None:
            tally.cases += 1
            response = case.call(base_url=base, session=session, headers=headers, timeout=60)
            tally.statuses[f"{case.operation.label} -> {response.status_code}"] += 1
            case.validate_response(response, checks=checks, headers=headers)
            if expect is not None:
                expect(case, response)

        try:
            with warnings.catch_warnings():
                # Schemathesis warns about operations whose answers are all 4xx; expected here.
                warnings.simplefilter("ignore")
                run()
        except Unsatisfiable:
            # Nothing to make invalid (no parameters, no body): the positive pass covers it.
            tally.untestable.append(operation.label)
        except (AssertionError, BaseExceptionGroup) as exc:
            # Failures are collected per operation, so one run reports every operation's.
            tally.failures[operation.label] = _describe(exc)
    session.close()
    print(f"{mode.value}: {tally.cases} generated cases over "
          f"{len({k.partition(' -> ')[0] for k in tally.statuses})} operations")
    print("\n".join(f"  {k}: {v}" for k, v in sorted(tally.statuses.items())))
    return tally


def test_every_operation_answers_valid_requests_within_its_declared_schema(server, schema,
                                                                           all_roles_token):
    base, _ = server
    headers = {"Authorization": f"Bearer {all_roles_token}"}
    tally = _fuzz(schema, base, headers, GenerationMode.POSITIVE, CHECKS + AUTH_CHECKS)
    assert tally.cases > 0
    assert not tally.failures, tally.report()


def test_every_operation_refuses_invalid_requests_with_a_declared_client_error(
        server, schema, all_roles_token):
    base, _ = server
    headers = {"Authorization": f"Bearer {all_roles_token}"}
    tally = _fuzz(schema, base, headers, GenerationMode.NEGATIVE, CHECKS + NEGATIVE_CHECKS)
    assert tally.cases > 0
    assert not tally.failures, tally.report()


def test_every_guarded_operation_answers_a_request_without_credential_with_401(server,
                                                                                 schema):
    def unauthenticated(case, response) -> None:
        if _is_guarded(case.operation):
            assert response.status_code == 401, (
                f"{case.operation.label} answered {response.status_code} without a credential")
            challenge = response.headers.get("www-authenticate", [""])
            assert challenge[0].startswith("Bearer"), "a 401 names the scheme (RFC 6750)"

    base, _ = server
    tally = _fuzz(schema, base, {}, GenerationMode.POSITIVE, CHECKS,
                  max_examples=ANONYMOUS_EXAMPLES, expect=unauthenticated)
    assert any(" -> 401" in key for key in tally.statuses)
    assert not tally.failures, tally.report()
