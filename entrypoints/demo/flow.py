"""``edgedeploy demo``: the release flow end to end on the bundled example.

Each step calls the same use cases the CLI and the API call, against a fresh home directory
(real SQLite, the on-disk trace store, ONNX Runtime), and adds a section to the HTML release
report. Reviews are human acts: the demo records them on behalf of named roles and says so.
"""

from __future__ import annotations

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
from edgedeploy.application.traceability import GateReport
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
from edgedeploy.entrypoints.demo.verification_spec import CRITERIA
from edgedeploy.entrypoints.progress import stage_progress

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_REQUIREMENTS = ROOT / "examples" / "aeb" / "requirements.reqif"
MODEL = ModelRef("aeb-perception", "1.0.0")
DATASET = ItemId("dataset:digits-32x32")
SAFETY_ENGINEER, ASSESSOR, CI = "safety.engineer", "independent.assessor", "release.pipeline"


@dataclass
class DemoRun:
    """State shared by the steps, and the report they build."""

    container: Container
    console: Console
    output: Path
    models_home: Path
    sections: list[ReportSection] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

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
    from edgedeploy.plugins.torch import ensure_example_model

    run.step("1. Example model: a small CNN on scikit-learn's digits (32x32)")
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
    """Sensitivity-guided mixed precision under a 0.5-point budget; register the result."""
    run.step("2. Optimize: per-layer sensitivity, mixed precision, Pareto frontier")
    example = run.facts["example"]
    request = OptimizeRequest(source=ModelSource(str(example.checkpoint)),
                              calibration=str(example.data),
                              output_dir=str(run.output / "optimize"), budget=0.5)
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
        charts=(Chart("Accuracy / size Pareto frontier", "model size (KiB)",
                      "deployed accuracy (%)",
                      (Series("candidates", tuple(p.size_bytes / 1024 for p in plan.candidates),
                              tuple(p.accuracy for p in plan.candidates),
                              tuple(p.name for p in plan.candidates), style="points"),
                       Series(f"chosen: {plan.chosen.name}", (plan.chosen.size_bytes / 1024,),
                              (plan.chosen.accuracy,), highlight=True, style="points"))),),
        evidence=tuple(sorted(result.digests.items()))))


def step_verify(run: DemoRun) -> None:
    """Verify the registered version against FP32 on the deployed runtime."""
    run.step("3. Verify: equivalence, latency, memory, robustness, input validation")
    with stage_progress(run.console) as progress:
        result = run.container.verify_registered()(MODEL, CI, progress=progress)
    run.facts["verification"] = result
    report = result.report
    checks = tuple((c["name"], "pass" if c["passed"] else "FAIL", c["message"])
                   for c in report["verdict"]["checks"])
    latency = report["latency_ms"]
    run.add(ReportSection(
        "Verify", "passed" if result.passed else "failed",
        f"Deployed-runtime accuracy {report['deployed_runtime_accuracy']:.2f}% "
        f"(FP32 {report['reference_accuracy']:.2f}%), top-1 agreement "
        f"{report['top1_agreement']:.4f}; p99 at batch 1 {latency['batch_1']['p99']:.2f} ms; "
        f"peak memory {report['peak_memory_bytes'] / 2**20:.1f} MiB.",
        tables=(ReportTable("Checks", ("Check", "Result", "Detail"), checks),
                ReportTable("Latency (ms)", ("Batch", "p50", "p95", "p99"),
                            tuple((name, f"{v['p50']:.3f}", f"{v['p95']:.3f}",
                                   f"{v['p99']:.3f}") for name, v in latency.items()))),
        evidence=(("verification_report.json", result.report_digest),)))


def step_requirements(run: DemoRun) -> None:
    """Import the ReqIF requirement set."""
    run.step("4. Requirements: import the AEB perception set (ReqIF, DOORS flavour)")
    data = EXAMPLE_REQUIREMENTS.read_bytes()
    result = run.container.import_requirements()(EXAMPLE_REQUIREMENTS.name, data)
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
    example, verification = run.facts["example"], run.facts["verification"]
    report, report_digest = verification.report, verification.report_digest
    record(Artifact(DATASET, ArtifactKind.DATASET, "digits 32x32: train, calibration, held-out",
                    digest=container.evidence().put(Path(example.data).read_bytes())))
    parents = {li.source for li in store.links() if li.relation in DECOMPOSING}
    for req in _requirements(run):
        if req.id in parents or not req.asil.is_safety_relevant:
            continue
        relation = (Relation.SATISFIED_BY if req.level.value == "dataset"
                    else Relation.IMPLEMENTED_BY)
        link(req.id, relation, DATASET if relation is Relation.SATISFIED_BY
             else MODEL.item_id)
    rows = []
    outcome: dict[str, bool] = {}
    for criterion in CRITERIA:
        passed, detail = criterion.judge(report)
        record(Artifact(ItemId(criterion.test_id), ArtifactKind.TEST, criterion.title,
                        digest=report_digest))
        link(ItemId(criterion.requirement), Relation.VERIFIED_BY, ItemId(criterion.test_id),
             _evidence(EvidenceKind.TEST_RESULT, Verdict.PASSED if passed else Verdict.FAILED,
                       CI, run.now(), criterion.method, report_digest, note=detail))
        outcome[criterion.requirement] = outcome.get(criterion.requirement, True) and passed
        rows.append((criterion.requirement, criterion.test_id, criterion.method.value,
                     "pass" if passed else "FAIL", detail))
    for req in _requirements(run):
        if req.level.value != "system" or not req.asil.is_safety_relevant:
            continue
        derived = container.trace_queries().impact(req.id).requirements
        ok = all(outcome.get(d, False) for d in derived if d in outcome)
        test = ItemId(f"AN-{req.id}")
        record(Artifact(test, ArtifactKind.TEST, f"Analysis of the verification of {req.id}"))
        link(req.id, Relation.VERIFIED_BY, test, _evidence(
            EvidenceKind.ANALYSIS, Verdict.PASSED if ok else Verdict.FAILED, SAFETY_ENGINEER,
            run.now(), VerificationMethod.ANALYSIS, report_digest,
            note=f"all tests of {', '.join(derived)} evaluated"))
        rows.append((req.id, str(test), "analysis", "pass" if ok else "FAIL",
                     "requirements-based analysis of the derived requirements' results"))
        if req.asil is ASIL.D:
            inspection = ItemId(f"IN-{req.id}")
            record(Artifact(inspection, ArtifactKind.TEST, f"Design inspection of {req.id}"))
            link(req.id, Relation.VERIFIED_BY, inspection, _evidence(
                EvidenceKind.TEST_RESULT, Verdict.PASSED, SAFETY_ENGINEER, run.now(),
                VerificationMethod.INSPECTION, note="perception chain design inspection"))
            rows.append((req.id, str(inspection), "inspection", "pass",
                         "design inspection recorded on behalf of the safety engineer"))
    _review_all(run, independent=False)
    run.add(ReportSection(
        "Trace", "info",
        f"Linked the model version and the data set to every leaf requirement and recorded "
        f"{len(rows)} verification results from the verification report; the demo records "
        f"the reviews of '{SAFETY_ENGINEER}' on every verification link.",
        tables=(ReportTable("Verification results", ("Requirement", "Test", "Method",
                                                     "Result", "Detail"), tuple(rows)),)))


def _review_all(run: DemoRun, *, independent: bool) -> int:
    store, link = run.container.trace_store(), run.container.link_items()
    reviewer = ASSESSOR if independent else SAFETY_ENGINEER
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
            EvidenceKind.REVIEW, Verdict.PASSED, reviewer, run.now(), independent=independent,
            note="recorded by the demo on behalf of this role"))
        count += 1
    return count


def _review_suspect(run: DemoRun) -> int:
    """Re-review every suspect link (independently where the source is ASIL D)."""
    store, link = run.container.trace_store(), run.container.link_items()
    suspect = [li for li in store.links() if li.suspect]
    for li in suspect:
        source = store.get_item(li.source)
        independent = isinstance(source, Requirement) and source.asil is ASIL.D
        link(li.source, li.relation, li.target, _evidence(
            EvidenceKind.REVIEW, Verdict.PASSED, ASSESSOR if independent else SAFETY_ENGINEER,
            run.now(), independent=independent,
            note="re-review after the requirement change, recorded by the demo"))
    return len(suspect)


def _gate_section(run: DemoRun, title: str, gate: GateReport, summary: str) -> ReportSection:
    gaps = tuple((g.item, g.asil.value, g.code.value, g.message) for g in gate.gaps)
    tables = (ReportTable("Gaps", ("Item", "ASIL", "Gap", "Detail"), gaps),) if gaps else ()
    return ReportSection(title, "passed" if gate.passed else "blocked",
                         f"{summary} Compliance {gate.score:.1%} over {len(gate.scope)} "
                         f"requirements; audit entry {gate.audit_sequence}.", tables=tables)


def step_gate(run: DemoRun) -> None:
    """The gate blocks without independent review of the ASIL D trace, then lets it through."""
    run.step("6. Release gate: ISO 26262 completeness by ASIL")
    gate = run.container.evaluate_gate()
    first = gate(MODEL, CI)
    run.add(_gate_section(run, "Release gate (before independent review)", first,
                          f"Blocked with {len(first.gaps)} gap(s)." if not first.passed
                          else "Passed."))
    reviewed = _review_all(run, independent=True)
    second = gate(MODEL, CI)
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
        RequirementDocument("ML-AEB-004 revision", [revised]))
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
    """Write the traceability matrix as HTML and CSV beside the release report."""
    matrix = run.container.build_matrix()("AEB perception traceability matrix")
    renderer = run.container.matrix_renderer()
    html_path = run.output / "trace-matrix.html"
    html_path.write_bytes(renderer.html(matrix))
    (run.output / "trace-matrix.csv").write_bytes(renderer.csv(matrix))
    return html_path
