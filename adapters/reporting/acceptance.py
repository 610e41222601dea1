"""The acceptance report for auditors: Cucumber JSON read, summarised and rendered as HTML.

``make test`` runs the Gherkin features with ``--cucumberjson=reports/acceptance.json``. That
file is what CI keeps, but a safety auditor reads a page, not nested JSON: this module turns it
into one self-contained HTML file (inline CSS, no scripts, nothing fetched) listing every
feature, every scenario with the requirements (``@req_…``) and ASIL (``@asil_…``) it verifies,
every step with its result, and the totals per requirement. The page carries the SHA-256 of the
JSON it was rendered from, so an auditor can check that the two belong together.

Scenarios inherit their feature's tags, as in Gherkin: a feature tagged ``@req_SR_TRACE_001``
verifies that requirement through each of its scenarios.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2

from edgedeploy.application.errors import InvalidInput

INVALID = "ACCEPTANCE_REPORT_INVALID"
REQUIREMENT_TAG, ASIL_TAG = "req_", "asil_"
STATUSES = ("passed", "failed", "skipped", "pending", "undefined")

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("edgedeploy.adapters.reporting", "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined)


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """One Gherkin step and what happened to it."""

    keyword: str
    name: str
    status: str
    duration_s: float
    error: str = ""


@dataclass(frozen=True, slots=True)
class ScenarioOutcome:
    """One scenario (or one row of a scenario outline) with its own and inherited tags."""

    name: str
    line: int
    tags: tuple[str, ...]
    inherited_tags: tuple[str, ...]
    steps: tuple[StepOutcome, ...]

    @property
    def status(self) -> str:
        """``failed`` if a step failed; ``passed`` only if every step passed; else ``skipped``.

        A scenario with a skipped, pending or undefined step did not show its requirement
        is met, so it never counts as passed.
        """
        statuses = {step.status for step in self.steps}
        if "failed" in statuses:
            return "failed"
        if statuses == {"passed"}:
            return "passed"
        return "skipped"

    @property
    def requirements(self) -> tuple[str, ...]:
        """The requirement ids the scenario verifies (``@req_SR_X_001`` → ``SR_X_001``)."""
        return _tagged(REQUIREMENT_TAG, (*self.inherited_tags, *self.tags), upper=False)

    @property
    def asil(self) -> str:
        """The highest ASIL among the scenario's tags (``@asil_c`` → ``C``), or ``""``."""
        levels = _tagged(ASIL_TAG, (*self.inherited_tags, *self.tags), upper=True)
        return max(levels, key=_asil_rank, default="")

    @property
    def duration_s(self) -> float:
        """Time spent in the scenario's steps."""
        return sum(step.duration_s for step in self.steps)


@dataclass(frozen=True, slots=True)
class FeatureOutcome:
    """One feature file and its scenarios, in the order they ran."""

    name: str
    uri: str
    description: str
    tags: tuple[str, ...]
    scenarios: tuple[ScenarioOutcome, ...]

    @property
    def status(self) -> str:
        """``failed`` if any scenario failed, ``passed`` if all passed, else ``skipped``."""
        statuses = {scenario.status for scenario in self.scenarios}
        if "failed" in statuses:
            return "failed"
        return "passed" if statuses == {"passed"} else "skipped"


@dataclass(frozen=True, slots=True)
class RequirementOutcome:
    """Everything the run shows about one requirement."""

    requirement: str
    asil: str
    scenarios: int
    passed: int
    failed: int

    @property
    def status(self) -> str:
        """``failed`` if a scenario verifying it failed, ``passed`` if all passed."""
        if self.failed:
            return "failed"
        return "passed" if self.passed == self.scenarios else "skipped"


@dataclass(frozen=True, slots=True)
class AcceptanceReport:
    """A whole Cucumber run, with the digest of the file it was read from."""

    source: str
    source_digest: str
    features: tuple[FeatureOutcome, ...]
    requirements: tuple[RequirementOutcome, ...] = field(default=())

    @property
    def scenarios(self) -> tuple[ScenarioOutcome, ...]:
        """Every scenario of every feature."""
        return tuple(s for feature in self.features for s in feature.scenarios)

    def totals(self) -> dict[str, Any]:
        """Counts of features, scenarios and steps by status, and of requirements."""
        scenarios = self.scenarios
        steps = [step for scenario in scenarios for step in scenario.steps]
        return {
            "features": len(self.features),
            "scenarios": _count(s.status for s in scenarios),
            "steps": _count(step.status for step in steps),
            "requirements": _count(r.status for r in self.requirements),
        }

    @property
    def passed(self) -> bool:
        """True when at least one scenario ran and every scenario passed."""
        return bool(self.scenarios) and all(s.status == "passed" for s in self.scenarios)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (``edgedeploy report acceptance --json``)."""
        return {
            "source": self.source, "source_digest": self.source_digest,
            "passed": self.passed, "totals": self.totals(),
            "requirements": [
                {"requirement": r.requirement, "asil": r.asil, "status": r.status,
                 "scenarios": r.scenarios, "passed": r.passed, "failed": r.failed}
                for r in self.requirements],
            "failed_scenarios": [
                {"feature": feature.uri, "scenario": s.name, "line": s.line,
                 "requirements": list(s.requirements)}
                for feature in self.features for s in feature.scenarios
                if s.status == "failed"],
        }


class CucumberAcceptanceReport:
    """Reads Cucumber JSON (as pytest-bdd writes it) and renders the auditors' HTML page."""

    def read(self, source: str, data: bytes) -> AcceptanceReport:
        """Parse ``data`` (the contents of the file named ``source``).

        Raises:
            InvalidInput: the bytes are not Cucumber JSON: not JSON, not a list of features,
                or a feature, scenario or step lacks a field the report needs.
        """
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"{source}: not JSON ({exc})", code=INVALID) from exc
        if not isinstance(document, list):
            raise InvalidInput(f"{source}: expected a list of Cucumber features, got "
                               f"{type(document).__name__}", code=INVALID)
        features = tuple(_feature(source, index, raw) for index, raw in enumerate(document))
        digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
        return AcceptanceReport(source, digest, features, _requirements(features))

    def html(self, report: AcceptanceReport) -> bytes:
        """The report as a single UTF-8 HTML page with inline CSS and no external resources."""
        page = _ENVIRONMENT.get_template("acceptance.html.j2")
        return page.render(report=report, totals=report.totals()).encode("utf-8")


def _feature(source: str, index: int, raw: Any) -> FeatureOutcome:
    where = f"{source}: feature {index + 1}"
    mapping = _mapping(raw, where)
    name = str(mapping.get("name") or mapping.get("uri") or f"feature {index + 1}")
    where = f"{source}: feature '{name}'"
    tags = _tags(mapping, where)
    elements = _sequence(mapping.get("elements", []), f"{where}: elements")
    scenarios = tuple(_scenario(f"{where}, element {i + 1}", element, tags)
                      for i, element in enumerate(elements)
                      if _mapping(element, f"{where}, element {i + 1}").get("type",
                                                                            "scenario")
                      != "background")
    return FeatureOutcome(name, str(mapping.get("uri", "")),
                          str(mapping.get("description", "")).strip(), tags, scenarios)


def _scenario(where: str, raw: Any, inherited: tuple[str, ...]) -> ScenarioOutcome:
    mapping = _mapping(raw, where)
    name = str(mapping.get("name", ""))
    where = f"{where} '{name}'" if name else where
    own = tuple(tag for tag in _tags(mapping, where) if tag not in inherited)
    steps = tuple(_step(f"{where}, step {i + 1}", step)
                  for i, step in enumerate(_sequence(mapping.get("steps", []),
                                                     f"{where}: steps")))
    return ScenarioOutcome(name, _int(mapping.get("line", 0)), own, inherited, steps)


def _step(where: str, raw: Any) -> StepOutcome:
    mapping = _mapping(raw, where)
    result = _mapping(mapping.get("result"), f"{where}: result")
    status = str(result.get("status", ""))
    if status not in STATUSES:
        raise InvalidInput(f"{where}: unknown step status '{status}' "
                           f"(expected one of {', '.join(STATUSES)})", code=INVALID)
    # Cucumber states durations in nanoseconds.
    duration = _int(result.get("duration", 0)) / 1e9
    return StepOutcome(str(mapping.get("keyword", "")).strip(), str(mapping.get("name", "")),
                       status, duration, str(result.get("error_message", "")))


def _requirements(features: Sequence[FeatureOutcome]) -> tuple[RequirementOutcome, ...]:
    tally: dict[str, list[ScenarioOutcome]] = {}
    for feature in features:
        for scenario in feature.scenarios:
            for requirement in scenario.requirements:
                tally.setdefault(requirement, []).append(scenario)
    return tuple(
        RequirementOutcome(
            requirement,
            max((s.asil for s in scenarios), key=_asil_rank, default=""),
            len(scenarios),
            sum(s.status == "passed" for s in scenarios),
            sum(s.status == "failed" for s in scenarios))
        for requirement, scenarios in sorted(tally.items()))


def _tags(mapping: Mapping[str, Any], where: str) -> tuple[str, ...]:
    tags = []
    for tag in _sequence(mapping.get("tags", []), f"{where}: tags"):
        name = tag.get("name") if isinstance(tag, Mapping) else tag
        if not isinstance(name, str):
            raise InvalidInput(f"{where}: a tag without a name", code=INVALID)
        tags.append(name.removeprefix("@"))
    return tuple(tags)


def _tagged(prefix: str, tags: Sequence[str], *, upper: bool) -> tuple[str, ...]:
    found: list[str] = []
    for tag in tags:
        if tag.lower().startswith(prefix):
            value = tag[len(prefix):]
            value = value.upper() if upper else value
            if value and value not in found:
                found.append(value)
    return tuple(found)


def _asil_rank(level: str) -> int:
    order = ("", "QM", "A", "B", "C", "D")
    return order.index(level) if level in order else 0


def _count(statuses: Any) -> dict[str, int]:
    counts = dict.fromkeys(("passed", "failed", "skipped"), 0)
    total = 0
    for status in statuses:
        key = status if status in counts else "skipped"
        counts[key] += 1
        total += 1
    return {"total": total, **counts}


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{where}: expected an object, got {type(value).__name__}",
                           code=INVALID)
    return value


def _sequence(value: Any, where: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise InvalidInput(f"{where}: expected a list, got {type(value).__name__}",
                           code=INVALID)
    return value


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


__all__ = [
    "AcceptanceReport", "CucumberAcceptanceReport", "FeatureOutcome", "RequirementOutcome",
    "ScenarioOutcome", "StepOutcome",
]
