"""``edgedeploy trace …``: import, list, link, review, report, impact, gate, export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from edgedeploy.entrypoints.cli.context import (
    MODEL_VERSION,
    CliState,
    Group,
    LazyChoice,
    command_errors,
    emit_json,
    json_option,
    pass_state,
)

if TYPE_CHECKING:
    from edgedeploy.domain.models import ModelRef
    from edgedeploy.domain.traceability import Evidence, TraceLink

GAPS_BLOCK = 3  # an incomplete trace refuses the release (README exit codes)
EVIDENCE_KIND = LazyChoice("edgedeploy.domain.traceability:EvidenceKind")
VERDICT = LazyChoice("edgedeploy.domain.traceability:Verdict")
METHOD = LazyChoice("edgedeploy.domain.traceability:VerificationMethod")


@click.group(cls=Group, example="edgedeploy trace gate aeb@1.0.0")
def trace() -> None:
    """Requirements traceability (ISO 26262-8 clause 6, ASPICE MLE.1-MLE.5)."""


@trace.command("import", example="edgedeploy trace import requirements.reqifz --json",
               remote=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True,
              help="Refuse the file if the import reports any diagnostic (exit 2).")
@json_option
@pass_state
@command_errors
def import_(state: CliState, file: Path, strict: bool, as_json: bool) -> None:
    """Import requirements from ReqIF (.reqif/.reqifz), CSV or YAML; all or nothing."""
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.import_requirements(state, file, strict, as_json)
        return
    result = state.container.import_requirements()(file.name, file.read_bytes(),
                                                   actor=state.principal, strict=strict)
    if as_json:
        emit_json(result)
        return
    from rich.text import Text

    state.console.print(Text.assemble(
        "Imported ", (str(file), "bold"), f": {len(result.created)} created, "
        f"{len(result.updated)} updated, {result.unchanged} unchanged, "
        f"{result.links_added} relation(s)"))
    if result.suspect_links:
        state.console.print(Text(f"{result.suspect_links} downstream link(s) are now suspect "
                                 "and need re-review", style="yellow"))
    for diag in result.diagnostics:
        state.console.print(Text(f"  {diag.severity}: {diag.location}"
                                 f"{f' [{diag.item}]' if diag.item else ''}: {diag.message}",
                                 style="yellow"))


@trace.command("list", example="edgedeploy trace list --level ml --asil C")
@click.option("--level", type=LazyChoice("edgedeploy.domain.requirements:RequirementLevel"),
              default=None, help="Only requirements at this V-model level.")
@click.option("--asil", type=LazyChoice("edgedeploy.domain.safety:ASIL"), default=None,
              help="Only requirements of this ASIL.")
@json_option
@pass_state
@command_errors
def list_(state: CliState, level: str | None, asil: str | None, as_json: bool) -> None:
    """The imported requirements in document order, with ASIL, level, status and version."""
    from edgedeploy.domain.requirements import RequirementLevel
    from edgedeploy.domain.safety import ASIL

    found = state.container.list_requirements()(
        RequirementLevel(level) if level else None, ASIL(asil) if asil else None)
    if as_json:
        emit_json(found)
        return
    from rich.text import Text

    from edgedeploy.entrypoints.cli.output import ASIL_STYLE, new_table, show

    table = new_table(f"{len(found)} requirement(s)", "ID", "ASIL", "Level", "Status",
                      "Version", "Title")
    for r in found:
        table.add_row(r.id, Text(str(r.asil), style=ASIL_STYLE.get(str(r.asil), "")),
                      r.level.value, r.status, str(r.version), Text(r.title))
    show(state, table)


def _evidence(state: CliState, kind: str | None, verdict: str | None, method: str | None,
              independent: bool, note: str, evidence_file: Path | None) -> Evidence | None:
    """The evidence the options describe, recorded by who runs the command (None if none)."""
    from edgedeploy.domain.traceability import (
        Evidence,
        EvidenceKind,
        Verdict,
        VerificationMethod,
    )

    if not any((kind, verdict, evidence_file, method, independent)):
        return None
    if verdict is None:
        # A verdict is a statement of the person recording it, never a default.
        raise click.UsageError("evidence needs --verdict (passed, failed or inconclusive)")
    digest = None
    if evidence_file is not None:
        digest = state.container.evidence().put_file(evidence_file)
    return Evidence(
        kind=EvidenceKind(kind) if kind else EvidenceKind.TEST_RESULT,
        verdict=Verdict(verdict),
        agent=state.principal.name,
        recorded_at=state.container.clock().now(),
        artifact_digest=digest,
        method=VerificationMethod(method) if method else None,
        independent=independent,
        note=note,
    )


def _link(state: CliState, source: str, relation: str, target: str,
          evidence: Evidence | None) -> TraceLink:
    from edgedeploy.domain.requirements import ItemId
    from edgedeploy.domain.traceability import Relation

    return state.container.link_items()(ItemId(source), Relation.parse(relation),
                                        ItemId(target), evidence, actor=state.principal)


@trace.command(example="edgedeploy trace link MLR-1 verified_by TC-1 --evidence report.json "
                       "--verdict passed", remote=True)
@click.argument("source")
@click.argument("relation")
@click.argument("target")
@click.option("--evidence", "evidence_file", type=click.Path(exists=True, dir_okay=False,
                                                             path_type=Path),
              help="A report or artifact file; its SHA-256 is recorded on the link.")
@click.option("--kind", type=EVIDENCE_KIND, help="What the evidence is (default: test-result).")
@click.option("--verdict", type=VERDICT,
              help="The outcome the evidence states; required with any evidence.")
@click.option("--method", type=METHOD, help="Verification method of a test result.")
@click.option("--independent", is_flag=True, help="The reviewer is independent (ASIL D).")
@click.option("--note", default="", help="A free-text note kept with the evidence.")
@json_option
@pass_state
@command_errors
def link(state: CliState, source: str, relation: str, target: str, evidence_file: Path | None,
         kind: str | None, verdict: str | None, method: str | None, independent: bool,
         note: str, as_json: bool) -> None:
    """Link SOURCE -RELATION-> TARGET, or add evidence to an existing link.

    RELATION is one of derives, refines, satisfied_by, verified_by, implemented_by,
    deployed_as. A model version is named NAME@VERSION. The evidence is recorded as who runs
    the command; a passed test result needs its report (--evidence).
    """
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.link(state, source, relation, target, evidence_file, kind, verdict,
                    method, independent, note, as_json)
        return
    evidence = _evidence(state, kind, verdict, method, independent, note, evidence_file)
    result = _link(state, source, relation, target, evidence)
    if as_json:
        emit_json(result)
        return
    from rich.text import Text

    state.console.print(Text(f"{result.source} {result.relation} {result.target}: "
                             f"{len(result.evidence)} evidence record(s)"
                             f"{', SUSPECT' if result.suspect else ''}"))


@trace.command(example="edgedeploy trace review SYS-1 derives MLR-1 --independent",
               remote=True)
@click.argument("source")
@click.argument("relation")
@click.argument("target")
@click.option("--independent", is_flag=True, help="The reviewer is independent (ASIL D).")
@click.option("--note", default="", help="A free-text note kept with the review.")
@json_option
@pass_state
@command_errors
def review(state: CliState, source: str, relation: str, target: str, independent: bool,
           note: str, as_json: bool) -> None:
    """Record a passed review of a link as who runs this; a suspect link is cleared by it.

    An independent review must come from a safety reviewer who recorded neither the linked
    items nor their evidence; refusals exit 3.
    """
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.review(state, source, relation, target, independent, note, as_json)
        return
    evidence = _evidence(state, "review", "passed", None, independent, note, None)
    result = _link(state, source, relation, target, evidence)
    if as_json:
        emit_json(result)
        return
    from rich.text import Text

    state.console.print(Text(f"Reviewed {result.source} {result.relation} {result.target} "
                             f"by {state.principal.name}"
                             f"{' (independent)' if independent else ''}"))


@trace.command(example="edgedeploy trace report --html matrix.html --csv matrix.csv")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the matrix as CSV.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the matrix as a self-contained HTML page.")
@json_option
@pass_state
@command_errors
def report(state: CliState, csv_path: Path | None, html_path: Path | None,
           as_json: bool) -> None:
    """The traceability matrix: every requirement, its trace, its gaps."""
    matrix = state.container.build_matrix()()
    renderer = state.container.matrix_renderer()
    if csv_path:
        csv_path.write_bytes(renderer.csv(matrix))
    if html_path:
        html_path.write_bytes(renderer.html(matrix))
    if as_json:
        emit_json(matrix)
        return
    from rich.text import Text

    from edgedeploy.entrypoints.cli.output import ASIL_STYLE, new_table, show

    table = new_table(f"{matrix.title} — compliance {matrix.score:.1%}, "
                      f"{matrix.gap_count} gap(s)",
                      "ID", "ASIL", "Level", "Derived into / realised by", "Verified by",
                      "Reviews", "Gaps")
    for row in matrix.rows:
        asil = row.requirement.asil.value
        table.add_row(
            row.requirement.id, Text(asil, style=ASIL_STYLE.get(asil, "")),
            row.requirement.level.value,
            ", ".join((*row.children, *row.realized_by)) or "—",
            ", ".join(f"{t}: {v}" for t, v in row.verified_by) or "—",
            ", ".join(row.reviews) or "—",
            Text("\n".join(g.code.value for g in row.gaps) or "ok",
                 style="red" if row.gaps else "green"))
    show(state, table)
    for path in (csv_path, html_path):
        if path:
            state.console.print(f"wrote {path}", highlight=False)


def _print_view(state: CliState, title: str, items: tuple[str, ...]) -> None:
    from rich.text import Text

    state.console.print(Text(f"{title}: {len(items)} item(s)", style="bold"))
    for item in items:
        state.console.print(Text(f"  {item}"))


@trace.command(example="edgedeploy trace impact SYS-1 --json")
@click.argument("item_id")
@json_option
@pass_state
@command_errors
def impact(state: CliState, item_id: str, as_json: bool) -> None:
    """Everything a change to ITEM_ID affects: requirements, tests, datasets, models, fleet."""
    from edgedeploy.domain.requirements import ItemId

    result = state.container.trace_queries().impact(ItemId(item_id))
    if as_json:
        emit_json(result)
        return
    from rich.text import Text

    state.console.print(Text(f"A change to {item_id} affects {result.total} item(s):",
                             style="bold"))
    for label, group in (("requirements", result.requirements), ("tests", result.tests),
                         ("datasets", result.datasets), ("models", result.models),
                         ("deployments", result.deployments)):
        state.console.print(Text(f"  {label:<12} {', '.join(group) or '—'}"))


@trace.command(example="edgedeploy trace forward SYS-1")
@click.argument("item_id")
@json_option
@pass_state
@command_errors
def forward(state: CliState, item_id: str, as_json: bool) -> None:
    """Everything downstream of ITEM_ID (towards deployment)."""
    from edgedeploy.domain.requirements import ItemId

    view = state.container.trace_queries().forward(ItemId(item_id))
    if as_json:
        emit_json(view)
    else:
        _print_view(state, f"Forward trace of {item_id}", view.items)


@trace.command(example="edgedeploy trace backward aeb@1.0.0")
@click.argument("item_id")
@json_option
@pass_state
@command_errors
def backward(state: CliState, item_id: str, as_json: bool) -> None:
    """Everything upstream of ITEM_ID (towards system requirements)."""
    from edgedeploy.domain.requirements import ItemId

    view = state.container.trace_queries().backward(ItemId(item_id))
    if as_json:
        emit_json(view)
    else:
        _print_view(state, f"Backward trace of {item_id}", view.items)


@trace.command(example="edgedeploy trace gate aeb@1.0.0 --json", remote=True)
@click.argument("model_version", metavar="NAME@VERSION", type=MODEL_VERSION)
@json_option
@pass_state
@command_errors
def gate(state: CliState, model_version: ModelRef, as_json: bool) -> None:
    """Exit 0 when NAME@VERSION's trace is complete, 3 when gaps block its deployment."""
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.gate(state, str(model_version), as_json)
        return
    from edgedeploy.domain.identity import Permission

    principal = state.principal
    principal.require(Permission.READ)
    result = state.container.evaluate_gate()(model_version, principal.name)
    if as_json:
        emit_json(result)
    else:
        from rich.text import Text

        if result.passed:
            state.console.print(Text.assemble(
                ("PASS", "green"), f" {result.model}: trace complete over "
                f"{len(result.scope)} requirement(s) (audit entry {result.audit_sequence})"))
        else:
            state.console.print(Text.assemble(
                ("BLOCKED", "bold red"), f" {result.model}: {len(result.gaps)} gap(s), "
                f"compliance {result.score:.1%} (audit entry {result.audit_sequence})"))
            for g in result.gaps:
                state.console.print(Text(f"  - {g.item} (ASIL {g.asil}) {g.code.value}: "
                                         f"{g.message}"))
    if not result.passed:
        raise click.exceptions.Exit(GAPS_BLOCK)


@trace.command(example="edgedeploy trace export --format turtle -o trace.ttl")
@click.option("--format", "fmt", type=click.Choice(["reqif", "turtle", "json-ld", "n-triples"]),
              default="reqif", show_default=True,
              help="ReqIF for requirements tools; the RDF formats carry the whole trace graph.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write (replaced when it exists).")
@json_option
@pass_state
@command_errors
def export(state: CliState, fmt: str, output: Path, as_json: bool) -> None:
    """Export requirements and links as ReqIF, or the whole trace graph as RDF."""
    import hashlib

    container = state.container
    if fmt == "reqif":
        data = container.export_requirements()()
    else:
        data = container.trace_store().export_rdf(fmt)
    output.write_bytes(data)
    if as_json:
        emit_json({"output": str(output), "format": fmt, "bytes": len(data),
                   "digest": f"sha256:{hashlib.sha256(data).hexdigest()}"})
    else:
        state.console.print(f"wrote {output} ({len(data)} bytes)", highlight=False)


@trace.command(example="edgedeploy trace artifact test TC-1 --file results.xml", remote=True)
# Model versions enter the graph through ``models register`` (with their bytes), not here.
@click.argument("kind", type=click.Choice(["test", "dataset", "deployment"]))
@click.argument("item_id")
@click.option("--title", default="", help="A human-readable title.")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The artifact's bytes; stored as evidence and fixed by their SHA-256.")
@json_option
@pass_state
@command_errors
def artifact(state: CliState, kind: str, item_id: str, title: str, file: Path | None,
             as_json: bool) -> None:
    """Record a test, dataset or deployment in the trace graph (by ITEM_ID)."""
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.artifact(state, kind, item_id, title, file, as_json)
        return
    from edgedeploy.domain.identity import Permission
    from edgedeploy.domain.requirements import Artifact, ArtifactKind, ItemId

    principal = state.principal
    principal.require(Permission.RECORD_ARTIFACT)
    digest = state.container.evidence().put_file(file) if file else None
    result = state.container.record_artifact()(
        Artifact(ItemId(item_id), ArtifactKind(kind), title=title or item_id, digest=digest),
        actor=principal)
    if as_json:
        emit_json(result)
    else:
        from rich.text import Text

        state.console.print(Text(f"recorded {result.kind} {result.id}"
                                 f"{f' {result.digest}' if result.digest else ''}"
                                 f" by {result.recorded_by}"))
