"""``edgedeploy demo``: the release flow end to end on the bundled example.

Each step calls the same use cases the CLI and the API call, against a fresh home directory
(real SQLite, the on-disk trace store, ONNX Runtime), and adds a section to the HTML release
report. Reviews are human acts: the demo registers a principal for each role and acts as each,
so that the separation of duties the product enforces holds in the demo as it does in use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from edgedeploy.application.optimization import OptimizeRequest
from edgedeploy.application.ports.interchange import RequirementDocument
from edgedeploy.application.ports.optimization import ModelSource
from edgedeploy.application.ports.reporting import (
    Chart,
    ReportSection,
    ReportTable,
    Series,
)
from edgedeploy.application.traceability import DeploymentSpecification, GateReport
from edgedeploy.domain.errors import Conflict
from edgedeploy.domain.identity import Principal, PrincipalKind, Role
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import Artifact, ArtifactKind, ItemId, ItemKind, Requirement
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import (
    DECOMPOSING,
    Evidence,
    EvidenceKind,
    Relation,
    Verdict,
    VerificationMethod,
)
from edgedeploy.entrypoints.container import Container
from edgedeploy.entrypoints.progress import stage_progress

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_REQUIREMENTS = ROOT / "examples" / "aeb" / "requirements.reqif"
EXAMPLE_DEPLOYMENT = ROOT / "examples" / "aeb" / "deployment.yaml"
MODEL = ModelRef("aeb-perception", "1.0.0")
DATASET = ItemId("dataset:digits-32x32")
SAFETY_ENGINEER, ASSESSOR, CI = "safety.engineer", "independent.assessor", "release.pipeline"
RELEASE_LEAD, RELEASE_MANAGERS = "release.lead", ("release.manager", "release.manager.2")


@dataclass(frozen=True, slots=True)
class DemoPeople:
    """The registered principals the demo acts as, one per duty.

    ``pipeline`` registers, optimizes, verifies and records test results; ``safety_engineer``
    records the analyses and inspections and reviews; ``assessor``, from another unit and
    involved in nothing, gives the independent reviews; ``release_lead`` starts the roll-out
    and two other release managers approve its ASIL D stages.
    """

    pipeline: Principal
    safety_engineer: Principal
    assessor: Principal
    release_lead: Principal
    approvers: tuple[Principal, Principal]


_DEMO_ADMIN = Principal("demo.admin", frozenset({Role.ADMIN}), PrincipalKind.SYSTEM)


def register_people(container: Container) -> DemoPeople:
    """Register (or find again) the demo's principals."""
    manage = container.manage_principals()

    def registered(name: str, unit: str, *roles: Role) -> Principal:
        try:
            record = manage.add(name, frozenset(roles), by=_DEMO_ADMIN, unit=unit)
        except Conflict:
            record = next(r for r in manage.list(by=_DEMO_ADMIN) if r.name == name)
        return record.principal(PrincipalKind.OS_USER)

    return DemoPeople(
        registered(CI, "development/pipeline", Role.ENGINEER),
        registered(SAFETY_ENGINEER, "development/safety", Role.ENGINEER,
                   Role.SAFETY_REVIEWER),
        registered(ASSESSOR, "safety/assessment", Role.SAFETY_REVIEWER),
        registered(RELEASE_LEAD, "release", Role.RELEASE_MANAGER),
        (registered(RELEASE_MANAGERS[0], "release", Role.RELEASE_MANAGER),
         registered(RELEASE_MANAGERS[1], "release", Role.RELEASE_MANAGER)))


def load_deployment(path: Path = EXAMPLE_DEPLOYMENT) -> DeploymentSpecification:
    """The example's deployment specification: limits, latency budget, tests per requirement.

    Raises:
        InvalidInput: the file is not valid YAML or not a valid specification.
    """
    import yaml

    from edgedeploy.application.errors import InvalidInput

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{path.name}: {exc}", code="DEPLOYMENT_SPEC_INVALID") from exc
    return DeploymentSpecification.from_dict(data, path.name)


@dataclass
class DemoRun:
    """State shared by the steps, and the report they build."""

    container: Container
    console: Console
    output: Path
    models_home: Path
    sections: list[ReportSection] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    _people: DemoPeople | None = field(default=None, repr=False)

    @property
    def people(self) -> DemoPeople:
        """The principals the steps act as, registered on first use."""
        if self._people is None:
            self._people = register_people(self.container)
        return self._people

    def now(self) -> datetime:
        """The container's clock."""
        return self.container.clock().now()

    def step(self, title: str) -> None:
        """Announce a step in the terminal."""
        self.console.print(Rule(Text(title, style="bold cyan")))

    def add(self, section: ReportSection) -> None:
        """Keep a report section and print its one-line outcome."""
        self.sections.append(section)
        style = {"passed": "green", "blocked": "red", "info": "cyan"}.get(section.status,
                                                                        "yellow")
        self.console.print(Text.assemble((f"[{section.status}] ", f"bold {style}"),
                                         section.summary))


def _evidence(kind: EvidenceKind, verdict: Verdict, agent: str, when: datetime,
              method: VerificationMethod | None = None, digest: str | None = None,
              independent: bool = False, note: str = "") -> Evidence:
    return Evidence(kind, verdict, agent, when, digest, method, independent, note)


def step_example_model(run: DemoRun) -> None:
    """Train (once, then cached) the example CNN on scikit-learn's digits."""
    run.step("1. Example model: a small CNN on scikit-learn's digits (32x32)")
    ensure_example_model = run.container.example_model()
    with stage_progress(run.console) as progress:
        example = ensure_example_model("small", run.models_home, progress=progress)
    run.facts["example"] = example
    run.add(ReportSection(
        "Example model", "info",
        f"Small CNN with {example.params:,} parameters trained at first use on scikit-learn's "
        f"digits (upsampled to 32x32, fixed seed); FP32 held-out accuracy "
        f"{example.accuracy:.2f}%. Cached under {run.models_home}.",
        evidence=(("checkpoint", run.container.evidence().put(
            Path(example.checkpoint).read_bytes())),)))


def step_optimize(run: DemoRun) -> None:
    """Sensitivity-guided mixed precision under the deployment's accuracy budget; register."""
    run.step("2. Optimize: per-layer sensitivity, mixed precision, Pareto frontier")
    example = run.facts["example"]
    request = OptimizeRequest(source=ModelSource(str(example.checkpoint)),
                              calibration=str(example.data),
                              output_dir=str(run.output / "optimize"),
                              budget=run.facts["deployment"].thresholds.max_accuracy_drop)
    with stage_progress(run.console) as progress:
        release = run.container.optimize_and_register()(request, MODEL, CI, progress)
    run.facts["release"] = release
    plan, result = release.result.plan, release.result
    frontier = {p.name for p in plan.candidates if p.name in
                plan.to_dict()["pareto_frontier"]}
    run.add(ReportSection(
        "Optimize", "passed",
        f"Chose '{plan.chosen.name}': {plan.expected_accuracy:.2f}% vs FP32 "
        f"{plan.baseline_accuracy:.2f}% (budget {plan.budget} points), "
        f"{plan.size_ratio:.2f}x smaller. {plan.rationale}",
        tables=(
            ReportTable("Per-layer decisions", ("Layer", "Precision", "Reason"),
                        tuple((d.layer, d.precision.value, d.reason) for d in plan.decisions)),
            ReportTable("Candidates", ("Candidate", "Accuracy %", "Size (bytes)",
                                       "Latency p50 @64 (ms)", "Agreement", "Frontier"),
                        tuple((p.name, f"{p.accuracy:.2f}", f"{p.size_bytes:,}",
                               f"{p.latency_ms:.2f}", f"{p.agreement:.4f}",
                               "yes" if p.name in frontier else "")
                              for p in plan.candidates)),
        ),
        charts=_pareto_charts(plan, frontier),
        evidence=tuple(sorted(result.digests.items()))))


def _kib(point: Any) -> float:
    return float(point.size_bytes) / 1024


def _latency_ms(point: Any) -> float:
    return float(point.latency_ms)


def _pareto_charts(plan: Any, frontier: set[str]) -> tuple[Chart, ...]:
    """Accuracy against size and against latency, the two axes that decided the choice.

    The choice is the smallest frontier point within the accuracy budget, then the fastest.
    """
    floor = plan.baseline_accuracy - plan.budget
    top = max([plan.baseline_accuracy, *(p.accuracy for p in plan.candidates)]) + 0.5
    charts = []
    axes: tuple[tuple[str, str, Callable[[Any], float]], ...] = (
        ("Accuracy / size Pareto frontier (decides first)", "model size (KiB)", _kib),
        ("Accuracy / latency Pareto frontier (breaks ties)",
         "median latency at batch 64 (ms)", _latency_ms))
    for title, label, axis in axes:
        on_front = [p for p in plan.candidates if p.name in frontier]
        off_front = [p for p in plan.candidates if p.name not in frontier]
        series = tuple(
            Series(name, tuple(axis(p) for p in points), tuple(p.accuracy for p in points),
                   tuple(p.name for p in points), style="points")
            for name, points in (("dominated", off_front), ("Pareto frontier", on_front))
            if points)
        charts.append(Chart(title, label, "deployed accuracy (%)", (
            *series,
            Series(f"chosen: {plan.chosen.name}", (axis(plan.chosen),),
                   (plan.chosen.accuracy,), highlight=True, style="points")),
            bands=((floor, top, f"within {plan.budget:g} points of FP32"),)))
    return tuple(charts)


def step_verify(run: DemoRun) -> None:
    """Verify the registered version against FP32 on the deployed runtime."""
    run.step("3. Verify: equivalence, latency, memory, robustness, input validation")
    spec: DeploymentSpecification = run.facts["deployment"]
    with stage_progress(run.console) as progress:
        result = run.container.verify_registered()(
            MODEL, CI, progress=progress, thresholds=spec.thresholds,
            latency_runs=spec.latency_runs)
    run.facts["verification"] = result
    report = result.report
    interleaved = report.get("latency_interleaved", {})
    budget = (f"the {spec.thresholds.latency_budget_ms:g} ms budget {spec.name} declares"
              if spec.thresholds.latency_budget_ms is not None
              else f"no budget ({spec.name} declares none)")
    checks = tuple((c["name"], "pass" if c["passed"] else "FAIL", c["message"])
                   for c in report["verdict"]["checks"])
    latency = report["latency_ms"]
    run.add(ReportSection(
        "Verify", "passed" if result.passed else "failed",
        f"Deployed-runtime accuracy {report['deployed_runtime_accuracy']:.2f}% "
        f"(FP32 {report['reference_accuracy']:.2f}%), top-1 agreement "
        f"{report['top1_agreement']:.4f}; median frame time at batch 1 "
        f"{latency['batch_1']['p50']:.2f} ms against {budget}, timed in alternation "
        f"with the FP32 reference; peak memory {report['peak_memory_bytes'] / 2**20:.1f} MiB.",
        tables=(ReportTable("Checks", ("Check", "Result", "Detail"), checks),
                ReportTable("Latency (ms), deployed and FP32 reference timed in alternation",
                            ("Batch", "runs", "p50", "p50 upper bound", "p99",
                             "reference p50", "reference p99", "ratio p50",
                             "ratio upper bound"),
                            tuple((name, str(v.get("runs", 0)),
                                   *(f"{v[k]:.3f}" if k in v else "—"
                                     for k in ("deployed_p50", "deployed_p50_upper",
                                               "deployed_p99", "reference_p50",
                                               "reference_p99", "ratio_p50",
                                               "ratio_p50_upper")))
                                  for name, v in interleaved.items()))),
        evidence=(("verification_report.json", result.report_digest),)))


def step_requirements(run: DemoRun) -> None:
    """Import the ReqIF requirement set."""
    run.step("4. Requirements: import the AEB perception set (ReqIF, DOORS flavour)")
    data = EXAMPLE_REQUIREMENTS.read_bytes()
    result = run.container.import_requirements()(EXAMPLE_REQUIREMENTS.name, data,
                                                 actor=run.people.pipeline)
    requirements = _requirements(run)
    run.add(ReportSection(
        "Requirements", "info",
        f"Imported {len(result.created)} requirements and {result.links_added} derivations "
        f"from {EXAMPLE_REQUIREMENTS.name}.",
        tables=(ReportTable("Requirements", ("ID", "ASIL", "Level", "Title"),
                            tuple((r.id, r.asil.value, r.level.value, r.title)
                                  for r in requirements)),),
        evidence=((EXAMPLE_REQUIREMENTS.name, run.container.evidence().put(data)),)))


def _requirements(run: DemoRun) -> list[Requirement]:
    return [r for r in run.container.trace_store().items(ItemKind.REQUIREMENT)
            if isinstance(r, Requirement)]


def step_trace(run: DemoRun) -> None:
    """Link the model, the data and every test result into the trace, with reviews."""
    run.step("5. Trace: realisation, test results from the verification report, reviews")
    container, store = run.container, run.container.trace_store()
    link, record = container.link_items(), container.record_artifact()
    people = run.people
    example, verification = run.facts["example"], run.facts["verification"]
    report, report_digest = verification.report, verification.report_digest
    record(Artifact(DATASET, ArtifactKind.DATASET, "digits 32x32: train, calibration, held-out",
                    digest=container.evidence().put(Path(example.data).read_bytes())),
           actor=people.pipeline)
    parents = {li.source for li in store.links() if li.relation in DECOMPOSING}
    for req in _requirements(run):
        if req.id in parents or not req.asil.is_safety_relevant:
            continue
        relation = (Relation.SATISFIED_BY if req.level.value == "dataset"
                    else Relation.IMPLEMENTED_BY)
        link(req.id, relation, DATASET if relation is Relation.SATISFIED_BY
             else MODEL.item_id, actor=people.pipeline)
    spec: DeploymentSpecification = run.facts["deployment"]
    results = container.link_verification_evidence()(
        spec.tests, report, report_digest, people.pipeline, analyst=people.safety_engineer,
        inspector=people.safety_engineer)
    run.facts["trace_results"] = results
    rows = [(r.requirement, r.test, r.method.value, "pass" if r.passed else "FAIL",
             r.detail) for r in results]
    _review_all(run, independent=False)
    run.add(ReportSection(
        "Trace", "info",
        f"Linked the model version and the data set to every leaf requirement and recorded "
        f"{len(rows)} verification results: each test's verdict is its check's verdict in the "
        f"verification report, as {EXAMPLE_DEPLOYMENT.name} maps them; the demo records "
        f"the reviews and the ASIL D design inspections of '{SAFETY_ENGINEER}'.",
        tables=(ReportTable("Verification results", ("Requirement", "Test", "Method",
                                                     "Result", "Detail"), tuple(rows)),)))


def _review_all(run: DemoRun, *, independent: bool) -> int:
    store, link = run.container.trace_store(), run.container.link_items()
    reviewer = run.people.assessor if independent else run.people.safety_engineer
    count = 0
    for li in store.links():
        if li.relation is not Relation.VERIFIED_BY:
            continue
        req = store.get_item(li.source)
        if not isinstance(req, Requirement):
            continue
        if independent and req.asil is not ASIL.D:
            continue
        link(li.source, li.relation, li.target, _evidence(
            EvidenceKind.REVIEW, Verdict.PASSED, reviewer.name, run.now(),
            independent=independent, note="recorded by the demo acting as this reviewer"),
             actor=reviewer)
        count += 1
    return count


def _review_suspect(run: DemoRun) -> int:
    """Re-review every suspect link (independently where the source is ASIL D)."""
    store, link = run.container.trace_store(), run.container.link_items()
    suspect = [li for li in store.links() if li.suspect]
    for li in suspect:
        source = store.get_item(li.source)
        independent = isinstance(source, Requirement) and source.asil is ASIL.D
        reviewer = run.people.assessor if independent else run.people.safety_engineer
        link(li.source, li.relation, li.target, _evidence(
            EvidenceKind.REVIEW, Verdict.PASSED, reviewer.name, run.now(),
            independent=independent,
            note="re-review after the requirement change, recorded by the demo"),
             actor=reviewer)
    return len(suspect)


def print_gaps(console: Console, gate: GateReport) -> None:
    """Name every gap of a gate report in the terminal, one line each."""
    for g in gate.gaps:
        console.print(Text.assemble(("  gap ", "bold red"), f"{g.item} (ASIL {g.asil.value}) ",
                                    (g.code.value, "bold"), f": {g.message}"))


def _gate_section(run: DemoRun, title: str, gate: GateReport, summary: str) -> ReportSection:
    gaps = tuple((g.item, g.asil.value, g.code.value, g.message) for g in gate.gaps)
    tables = (ReportTable("Gaps", ("Item", "ASIL", "Gap", "Detail"), gaps),) if gaps else ()
    return ReportSection(title, "passed" if gate.passed else "blocked",
                         f"{summary} {gate.compliance.describe().capitalize()}; audit entry "
                         f"{gate.audit_sequence}.", tables=tables)


def step_gate(run: DemoRun) -> None:
    """The gate blocks without independent review of the ASIL D trace, then lets it through."""
    run.step("6. Release gate: ISO 26262 completeness by ASIL")
    gate = run.container.evaluate_gate()
    first = gate(MODEL, CI)
    print_gaps(run.console, first)
    run.add(_gate_section(run, "Release gate (before independent review)", first,
                          f"Blocked with {len(first.gaps)} gap(s)." if not first.passed
                          else "Passed."))
    reviewed = _review_all(run, independent=True)
    second = gate(MODEL, CI)
    print_gaps(run.console, second)
    run.facts["gate"] = second
    run.add(_gate_section(run, "Release gate (after independent review)", second,
                          f"'{ASSESSOR}' reviewed {reviewed} ASIL D verification link(s). "
                          + ("Passed." if second.passed else
                             f"Still blocked with {len(second.gaps)} gap(s).")))


def step_change_impact(run: DemoRun) -> None:
    """A requirement changes: everything below it is suspect until reviewed again."""
    run.step("7. Change impact: ML-AEB-004 is revised")
    store = run.container.trace_store()
    old = store.get_item(ItemId("ML-AEB-004"))
    assert isinstance(old, Requirement)
    revised = replace(old, text=old.text + " The figure is measured after warm-up.")
    result = run.container.import_requirements().merge(
        RequirementDocument("ML-AEB-004 revision", [revised]), actor=run.people.pipeline)
    impact = run.container.trace_queries().impact(old.id)
    blocked = run.container.evaluate_gate()(MODEL, CI)
    _review_suspect(run)
    cleared = run.container.evaluate_gate()(MODEL, CI)
    run.facts["gate"] = cleared
    run.add(ReportSection(
        "Change impact", "passed" if cleared.passed else "blocked",
        f"Revising ML-AEB-004 made {result.suspect_links} link(s) suspect; it affects "
        f"{', '.join((*impact.tests, *impact.models)) or 'nothing'}. The gate then "
        f"{'blocked' if not blocked.passed else 'passed'} ("
        f"{', '.join(sorted({g.code.value for g in blocked.gaps})) or 'no gaps'}); after "
        f"re-review it {'passed' if cleared.passed else 'still blocks'}.",
        tables=(ReportTable("Affected items", ("Kind", "Items"), (
            ("requirements", ", ".join(impact.requirements) or "—"),
            ("tests", ", ".join(impact.tests) or "—"),
            ("models", ", ".join(impact.models) or "—"),
            ("deployments", ", ".join(impact.deployments) or "—"))),)))


def step_trace_matrix(run: DemoRun) -> Path:
    """Write the release's traceability matrix (HTML and CSV) beside the release report.

    The gate is evaluated once more, after every step, and the matrix shows that evaluation's
    scope, figure and gaps: the release report quotes the same evaluation.
    """
    final = run.container.evaluate_gate()(MODEL, CI, record=False)
    run.facts["gate"] = final
    print_gaps(run.console, final)
    matrix = run.container.build_matrix()("AEB perception traceability matrix", final)
    renderer = run.container.matrix_renderer()
    html_path = run.output / "trace-matrix.html"
    html_path.write_bytes(renderer.html(matrix))
    (run.output / "trace-matrix.csv").write_bytes(renderer.csv(matrix))
    return html_path
