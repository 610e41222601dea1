"""``edgedeploy optimize`` and ``edgedeploy verify``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from edgedeploy.entrypoints.cli.context import (
    MODEL_VERSION,
    CliState,
    Command,
    command_errors,
    emit_json,
    json_option,
    pass_state,
)

if TYPE_CHECKING:
    from edgedeploy.domain.models import ModelRef

FAILED = 3  # a verification that fails refuses the release (README exit codes)


def import_from_working_directory() -> None:
    """Let ``--module pkg.mod:Class`` name a module in the current directory, as ``python -m``.

    A console script, unlike ``python -m``, does not put the working directory on
    ``sys.path``, so a class defined beside the checkpoint needed ``PYTHONPATH=.``. The
    directory goes last, so a local file cannot shadow an installed package. Only the CLI
    does this: the HTTP service never imports from its working directory.
    """
    import sys

    cwd = str(Path.cwd())
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)


@click.command(cls=Command, example="edgedeploy optimize aeb.pt --calibration calib.npz "
                                    "--as aeb@1.0.0 --budget 0.5")
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--calibration", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help=".npz with inputs and labels (and optionally held-out split).")
@click.option("--as", "ref", required=True, type=MODEL_VERSION,
              help="Register the result as NAME@VERSION.")
@click.option("--module", default=None,
              help="pkg.mod:Class building the network, when MODEL is a bare state dict.")
@click.option("--budget", type=float, default=0.5, show_default=True,
              help="Accuracy points the deployed model may lose against FP32.")
@click.option("--backend", default="",
              help="Inference backend the model is optimized for (see edgedeploy doctor; "
                   "default: settings, else the first that runs INT8 ONNX on CPU).")
@click.option("--device", default="cpu", show_default=True,
              help="Device the backend measures on (cpu, cuda).")
@click.option("--qat-epochs", type=int, default=0, show_default=True,
              help="Quantization-aware training epochs when post-training quantization misses.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the model and reports (default: under the home directory).")
@json_option
@pass_state
@command_errors
def optimize(state: CliState, model: Path, calibration: Path, ref: ModelRef, module: str | None,
             budget: float, backend: str, device: str, qat_epochs: int, output: Path | None,
             as_json: bool) -> None:
    """Quantize MODEL under an accuracy budget, export it to ONNX, and register it."""
    from edgedeploy.application.optimization import OptimizeRequest
    from edgedeploy.application.ports.optimization import ModelSource
    from edgedeploy.domain.identity import Permission
    from edgedeploy.entrypoints.progress import stage_progress

    principal = state.principal
    principal.require(Permission.OPTIMIZE)
    principal.require(Permission.REGISTER_MODEL)
    container = state.container
    if module:
        import_from_working_directory()
    out = output or container.settings().home_dir / "optimized" / f"{ref.name}-{ref.version}"
    request = OptimizeRequest(source=ModelSource(str(model), module), calibration=str(calibration),
                              output_dir=str(out), budget=budget, device=device,
                              qat_epochs=qat_epochs)
    use_case = container.optimize_and_register(
        optimize=container.optimize_model(runtime=container.runtime(backend),
                                          provenance=container.runtime_provenance(backend)))
    with stage_progress(state.err, enabled=not as_json) as progress:
        release = use_case(request, ref, principal.name, progress)
    plan = release.result.plan
    if as_json:
        emit_json({"model": release.model, "plan": plan.to_dict(),
                   "artifacts": release.result.artifacts, "digests": release.result.digests,
                   "timings": release.result.timings})
        return
    from rich.text import Text

    from edgedeploy.entrypoints.cli.output import new_table, show

    table = new_table(f"Quantization plan for {ref} — chose {plan.chosen.name}",
                      "Layer", "Precision", "Reason")
    for decision in plan.decisions:
        table.add_row(decision.layer, decision.precision.value, Text(decision.reason))
    show(state, table)
    state.console.print(Text(plan.rationale))
    state.console.print(Text.assemble("registered ", (str(release.model.ref), "bold"),
                                      f" {release.model.digest}; reports in {out}"))


@click.command(cls=Command, example="edgedeploy verify aeb@1.0.0 --json")
@click.argument("model_version", metavar="NAME@VERSION", type=MODEL_VERSION)
@click.option("--backend", default="",
              help="Inference backend the deployed model runs on (see edgedeploy doctor; "
                   "default: settings, else the first that runs INT8 ONNX on CPU).")
@click.option("--device", default="cpu", show_default=True,
              help="Device the backend measures on (cpu, cuda).")
@json_option
@pass_state
@command_errors
def verify(state: CliState, model_version: ModelRef, backend: str, device: str,
           as_json: bool) -> None:
    """Verify NAME@VERSION against its FP32 reference on the deployed runtime.

    Exits 3 when any check fails; the report is stored as evidence either way.
    """
    from edgedeploy.domain.identity import Permission
    from edgedeploy.entrypoints.progress import stage_progress

    principal = state.principal
    principal.require(Permission.VERIFY_MODEL)
    container = state.container
    use_case = container.verify_registered(
        verify=container.verify_model(runtime=container.runtime(backend),
                                      provenance=container.runtime_provenance(backend)))
    with stage_progress(state.err, enabled=not as_json) as progress:
        result = use_case(model_version, principal.name, device=device,
                          progress=progress)
    if as_json:
        emit_json(result.report)
    else:
        from rich.text import Text

        from edgedeploy.entrypoints.cli.output import new_table, show

        table = new_table(f"Deployment verification of {model_version}",
                          "Check", "Result", "Measured", "Limit")
        for check in result.verdict.checks:
            table.add_row(check.name, Text("pass", style="green") if check.passed
                          else Text("FAIL", style="bold red"),
                          "—" if check.measured is None else f"{check.measured:.4g}",
                          "—" if check.limit is None else f"{check.limit:.4g}")
        show(state, table)
        state.console.print(f"report {result.report_digest}", highlight=False)
    if not result.passed:
        raise click.exceptions.Exit(FAILED)
