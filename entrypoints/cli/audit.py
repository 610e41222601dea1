"""``edgedeploy audit verify`` and ``audit export``: tamper evidence for auditors.

``verify`` checks every evidence chain (the audit log, each roll-out's decisions) against its
signed checkpoints, re-hashes every evidence file and checks the signature of every evidence
record on the trace: exit 0 when all holds, 3 naming the first bad entry or record. Trace
evidence recorded before records were signed is listed as unsigned, a warning, not a break.
``export`` writes a bundle an auditor verifies offline with ``verify --bundle``, which reads
no database.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from edgedeploy.entrypoints.cli.context import (
    CliState,
    Group,
    command_errors,
    emit_json,
    json_option,
    pass_state,
)

if TYPE_CHECKING:
    from edgedeploy.application.audit import EvidenceVerification

BROKEN_EXIT = 3
UNSIGNED_SHOWN = 20
"""Unsigned trace evidence records named one per line before the rest are counted."""


@click.group(cls=Group, example="edgedeploy audit verify --json")
def audit() -> None:
    """Verify and export the tamper-evident evidence chains."""


def _as_dict(result: EvidenceVerification) -> dict[str, Any]:
    first = result.problems[0] if result.problems else None
    trace = result.trace
    return {
        "intact": result.intact,
        "entries": result.entries,
        "files_checked": result.files_checked,
        "key_ids": list(result.key_ids),
        "first_problem": None if first is None else {
            "chain": first.chain, "sequence": first.sequence, "problem": first.problem},
        "problems": [{"chain": p.chain, "sequence": p.sequence, "problem": p.problem}
                     for p in result.problems],
        "chains": [{"chain": c.chain, "entries": c.entries, "checkpoints": c.checkpoints,
                    "intact": c.intact} for c in result.chains],
        "trace_evidence": None if trace is None else {
            "records": trace.records, "signed": trace.signed, "verified": trace.verified,
            "unsigned": len(trace.unsigned), "broken": len(trace.problems)},
        "warnings": _warnings(result),
    }


def _warnings(result: EvidenceVerification) -> list[str]:
    """What verified without being a break: unsigned trace records, an unreadable store."""
    out = []
    if result.trace_unchecked is not None:
        out.append(f"trace evidence not checked: {result.trace_unchecked}")
    if result.trace is not None:
        out += [f"{record}: unsigned (recorded before evidence was signed, or written around "
                "the server)" for record in result.trace.unsigned]
    return out


def _report(state: CliState, result: EvidenceVerification, as_json: bool) -> None:
    if as_json:
        emit_json(_as_dict(result))
    else:
        from rich.text import Text

        from edgedeploy.entrypoints.cli.output import new_table, show, yes_no

        table = new_table("Evidence chains", "Chain", "Entries", "Checkpoints", "Intact")
        for chain in result.chains:
            table.add_row(chain.chain, str(chain.entries), str(chain.checkpoints),
                          yes_no(chain.intact))
        show(state, table)
        files = ("" if result.files_checked is None
                 else f", {result.files_checked} evidence file(s) re-hashed")
        trace = result.trace
        if result.trace_unchecked is not None:
            state.err.print(f"warning: trace evidence not checked: {result.trace_unchecked}",
                            highlight=False, soft_wrap=True)
        if trace is not None:
            files += (f", {trace.verified} of {trace.records} trace evidence record(s) "
                      f"signed and verified")
            for record in trace.unsigned[:UNSIGNED_SHOWN]:
                state.err.print(Text.assemble(("warning", "bold yellow"),
                                              f": {record}: unsigned (recorded before evidence "
                                              "was signed, or written around the server)"),
                                soft_wrap=True)
            if len(trace.unsigned) > UNSIGNED_SHOWN:
                state.err.print(f"warning: {len(trace.unsigned) - UNSIGNED_SHOWN} more "
                                "unsigned trace evidence record(s); --json lists them all",
                                highlight=False, soft_wrap=True)
            if trace.unsigned:
                state.err.print("unsigned records are warnings, not breaks: they cannot be "
                                "told from a record added around the server",
                                highlight=False, soft_wrap=True)
        if result.intact:
            state.console.print(f"intact: {result.entries} entries{files}", highlight=False)
        for problem in result.problems:
            # One line per finding, never wrapped, so the entry named can be grepped.
            state.err.print(Text.assemble(("broken", "bold red"), f" (AUDIT_CHAIN_BROKEN): "
                                                                  f"{problem}"), soft_wrap=True)
    if not result.intact:
        sys.exit(BROKEN_EXIT)


@audit.command(example="edgedeploy audit verify --bundle evidence.jsonl --key-id sha256:...")
@click.option("--bundle", "bundle", type=click.Path(dir_okay=False, exists=True,
                                                    path_type=Path),
              default=None, help="Verify an exported bundle offline instead of the database.")
@click.option("--key-id", "key_ids", multiple=True, metavar="KEY_ID",
              help="With --bundle: trust only this signing key (repeatable).")
@json_option
@pass_state
@command_errors
def verify(state: CliState, bundle: Path | None, key_ids: tuple[str, ...],
           as_json: bool) -> None:
    """Check every chain, signature and evidence file; exit 3 on the first break.

    With --bundle no database is opened and no principal is resolved: the bundle carries the
    chains, the checkpoints and the public key.
    """
    if bundle is not None:
        try:
            data = bundle.read_bytes()
        except OSError as exc:
            raise click.BadParameter(f"{bundle}: {exc.strerror}", param_hint="--bundle") \
                from None
        result = state.container.verify_evidence_bundle()(data, key_ids=key_ids)
    else:
        if key_ids:
            raise click.UsageError("--key-id applies to --bundle only")
        from edgedeploy.domain.identity import Permission

        state.principal.require(Permission.VERIFY_AUDIT)
        result = state.container.verify_evidence()()
    _report(state, result, as_json)


@audit.command(example="edgedeploy audit export evidence.jsonl")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@json_option
@pass_state
@command_errors
def export(state: CliState, out: Path, as_json: bool) -> None:
    """Write every chain, checkpoint and the public key to OUT (JSON lines)."""
    from edgedeploy.domain.identity import Permission

    state.principal.require(Permission.EXPORT)
    bundle = state.container.export_evidence_bundle()()
    temporary = out.with_name(f".{out.name}.tmp")
    try:
        temporary.write_bytes(bundle.data)
        temporary.replace(out)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise click.BadParameter(f"{out}: {exc.strerror}", param_hint="OUT") from None
    summary = {"path": str(out), "chains": bundle.chains, "entries": bundle.entries,
               "checkpoints": bundle.checkpoints, "evidence_records": bundle.evidence_records,
               "key_id": bundle.key_id}
    if as_json:
        emit_json(summary)
    else:
        state.console.print(f"{out}: {bundle.entries} entries in {bundle.chains} chain(s), "
                            f"{bundle.checkpoints} checkpoint(s), {bundle.evidence_records} "
                            f"trace evidence record(s), key {bundle.key_id}", highlight=False)
