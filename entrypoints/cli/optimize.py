"""``edgedeploy optimize`` and ``edgedeploy verify``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from edgedeploy.application.optimization import OptimizeRequest
from edgedeploy.application.ports.optimization import ModelSource
from edgedeploy.domain.models import ModelRef
from edgedeploy.entrypoints.cli.context import (
    CliState,
    command_errors,
    json_option,
    pass_state,
    to_json,
)
from edgedeploy.entrypoints.progress import stage_progress


@click.command()
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--calibration", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help=".npz with inputs and labels (and optionally held-out split).")
@click.option("--as", "ref", required=True, help="Register the result as NAME@VERSION.")
@click.option("--module", default=None,
              help="pkg.mod:Class building the network, when MODEL is a bare state dict.")
@click.option("--budget", type=float, default=0.5, show_default=True,
              help="Accuracy points the deployed model may lose against FP32.")
@click.option("--backend", default="onnxruntime", show_default=True,
              help="Inference backend the model is optimized for.")
@click.option("--device", default="cpu", show_default=True)
@click.option("--qat-epochs", type=int, default=0, show_default=True,
              help="Quantization-aware training epochs when post-training quantization misses.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the model and reports (default: under the home directory).")
@json_option
@pass_state
@command_errors
def optimize(state: CliState, model: Path, calibration: Path, ref: str, module: str | None,
             budget: float, backend: str, device: str, qat_epochs: int, output: Path | None,
             as_json: bool) -> None:
    """Quantize MODEL under an accuracy budget, export it, and register it."""
    container = state.container
    target = ModelRef.parse(ref)
    out = output or container.settings().home_dir / "optimized" / f"{target.name}-{target.version}"
    request = OptimizeRequest(source=ModelSource(str(model), module), calibration=str(calibration),
                              output_dir=str(out), budget=budget, device=device,
                              qat_epochs=qat_epochs)
    use_case = container.optimize_and_register(
        optimize=container.optimize_model(runtime=container.backends().get(backend)))
    with stage_progress(state.err, enabled=not as_json) as progress:
        release = use_case(request, target, container.config.actor(), progress)
    plan = release.result.plan
    if as_json:
        click.echo(to_json({"model": release.model, "plan": plan.to_dict(),
                            "artifacts": release.result.artifacts,
                            "digests": release.result.digests,
                            "timings": release.result.timings}))
        return
    table = Table(title=f"Quantization plan for {target} — chose {plan.chosen.name}")
    for column in ("Layer", "Precision", "Reason"):
        table.add_column(column)
    for decision in plan.decisions:
        table.add_row(decision.layer, decision.precision.value, Text(decision.reason))
    state.console.print(table)
    state.console.print(Text(plan.rationale))
    state.console.print(f"registered [bold]{release.model.ref}[/] {release.model.digest}; "
                        f"reports in {out}")


@click.command()
@click.argument("model_version")
@click.option("--backend", default="onnxruntime", show_default=True)
@click.option("--device", default="cpu", show_default=True)
@json_option
@pass_state
@command_errors
def verify(state: CliState, model_version: str, backend: str, device: str,
           as_json: bool) -> None:
    """Verify MODEL_VERSION against its FP32 reference on the deployed runtime (exit 3: failed)."""
    container = state.container
    use_case = container.verify_registered(
        verify=container.verify_model(runtime=container.backends().get(backend)))
    with stage_progress(state.err, enabled=not as_json) as progress:
        result = use_case(ModelRef.parse(model_version), container.config.actor(),
                          device=device, progress=progress)
    if as_json:
        click.echo(to_json(result.report))
    else:
        table = Table(title=f"Deployment verification of {model_version}")
        for column in ("Check", "Result", "Measured", "Limit"):
            table.add_column(column)
        for check in result.verdict.checks:
            table.add_row(check.name, Text("pass", style="green") if check.passed
                          else Text("FAIL", style="bold red"),
                          "—" if check.measured is None else f"{check.measured:.4g}",
                          "—" if check.limit is None else f"{check.limit:.4g}")
        state.console.print(table)
        state.console.print(f"report {result.report_digest}")
    if not result.passed:
        raise click.exceptions.Exit(3)
