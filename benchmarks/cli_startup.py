"""How fast the ``edgedeploy`` command answers, as whole processes.

Each command runs as its own process (the installed console script, as a user types it), ten
times by default, interleaved with the baseline ``python -c "import click"`` so that every
figure shares the machine's load with its baseline. Reported: median and slowest run.

Goals: ``edgedeploy --help`` within 2x the baseline; ``trace gate`` on the demo's
home within 0.8 s; ``doctor`` within 1.5 s (2 cores).

The demo's home is ``edgedeploy-demo/home`` (``edgedeploy demo`` writes it); when it is missing
the benchmark runs the demo first, which takes a few minutes.

    .venv/bin/python benchmarks/cli_startup.py --markdown docs/benchmarks/cli_startup.md
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = Path(sys.executable)
EDGEDEPLOY = PYTHON.with_name("edgedeploy")
DEMO_MODEL = "aeb-perception@1.0.0"
# Installed distributions' import names (the standard library is not of interest here).
THIRD_PARTY = frozenset(importlib.metadata.packages_distributions()) - {"edgedeploy"}


@dataclass
class Case:
    """One command line, its goal and its measured wall times."""

    label: str
    argv: list[str]
    goal: str = "-"
    expected_exit: tuple[int, ...] = (0,)
    times: list[float] = field(default_factory=list)
    exits: set[int] = field(default_factory=set)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def slowest(self) -> float:
        return max(self.times)


def run_once(case: Case, env: dict[str, str]) -> None:
    start = time.perf_counter()
    done = subprocess.run(case.argv, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False)
    case.times.append(time.perf_counter() - start)
    case.exits.add(done.returncode)
    if done.returncode not in case.expected_exit:
        raise SystemExit(f"{shlex.join(case.argv)} exited {done.returncode}:\n"
                         f"{done.stderr.decode(errors='replace')[-2000:]}")


def ensure_demo(output: Path) -> dict[str, object]:
    """What the demo left in ``output``; runs ``edgedeploy demo`` when its home is missing.

    The summary is absent when the demo stopped after the release gate (a late step such as
    the local fleet failed); the home then holds everything up to and including the gate.
    """
    home = output / "home" / "edgedeploy.db"
    if not home.exists():
        print(f"no demo home in {output}; running edgedeploy demo first", flush=True)
        started = time.perf_counter()
        subprocess.run([str(EDGEDEPLOY), "demo", "--output", str(output)], check=False,
                       stdout=subprocess.DEVNULL)
        print(f"demo finished in {time.perf_counter() - started:.0f} s", flush=True)
    if not home.exists():
        raise SystemExit(f"the demo wrote no {home}")
    summary = output / "summary.json"
    if not summary.exists():
        return {}
    loaded: dict[str, object] = json.loads(summary.read_text(encoding="utf-8"))
    return loaded


def import_profile(argv: list[str], env: dict[str, str]) -> list[tuple[str, float]]:
    """Third-party import time by top-level package for one run (``python -X importtime``).

    A package counts where our code (or the interpreter) imports it; what it imports itself
    is counted with it, not again on its own.
    """
    done = subprocess.run([str(PYTHON), "-X", "importtime", *argv], env=env, check=False,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    entries = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3:
            continue
        cumulative, name = parts[1].strip(), parts[2]
        if cumulative.isdigit():
            depth = len(name) - len(name.lstrip(" "))
            entries.append((depth, name.strip().split(".")[0], int(cumulative) / 1e6))
    totals: dict[str, float] = {}
    # -X importtime prints a module after everything it imported: walk backwards to meet
    # each parent before its children.
    stack: list[tuple[int, bool]] = []  # (depth, inside a third-party package)
    for depth, package, cumulative in reversed(entries):
        while stack and stack[-1][0] >= depth:
            stack.pop()
        inside = bool(stack) and stack[-1][1]
        third_party = package in THIRD_PARTY
        if third_party and not inside:
            totals[package] = totals.get(package, 0.0) + cumulative
        stack.append((depth, inside or third_party))
    return sorted(totals.items(), key=lambda item: -item[1])


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="processes per command")
    parser.add_argument("--demo-output", type=Path, default=ROOT / "edgedeploy-demo",
                        help="the demo's output folder (its state is under home/)")
    parser.add_argument("--model", default=DEMO_MODEL,
                        help="the model version to gate (default: the demo's)")
    parser.add_argument("--markdown", type=Path, default=None,
                        help="write the results page here and refresh docs/benchmarks.md")
    args = parser.parse_args()

    summary = ensure_demo(args.demo_output.resolve())
    home = args.demo_output.resolve() / "home"
    env = {**os.environ, "EDGEDEPLOY_HOME": str(home), "EDGEDEPLOY_ACTOR": "benchmark",
           "EDGEDEPLOY_LOG_LEVEL": "error"}
    # An installed package has its bytecode compiled; a source checkout run with
    # PYTHONDONTWRITEBYTECODE would recompile every module of ours in every process.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    model = str(summary.get("model", args.model))

    baseline = Case('python -c "import click" (baseline)', [str(PYTHON), "-c", "import click"])
    help_case = Case("edgedeploy --help", [str(EDGEDEPLOY), "--help"], "<= 2x baseline")
    cases = [
        baseline,
        help_case,
        Case("edgedeploy trace gate --help", [str(EDGEDEPLOY), "trace", "gate", "--help"]),
        # Exit 0 (trace complete) and 3 (gaps) are both answers; anything else is a failure.
        Case(f"edgedeploy trace gate {model}", [str(EDGEDEPLOY), "trace", "gate", model],
             "<= 0.8 s", (0, 3)),
        Case("edgedeploy doctor", [str(EDGEDEPLOY), "doctor"], "<= 1.5 s"),
    ]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    for case in cases:  # one unmeasured run each: the file cache is warm for all of them
        run_once(case, env)
        case.times.clear()
    for _ in range(args.runs):
        for case in cases:
            run_once(case, env)
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    profiles = {case.label: import_profile([str(EDGEDEPLOY), *case.argv[1:]], env)
                for case in cases[3:]}

    gate = cases[3]
    demo_state = (f"complete demo, verdict {summary['verdict']}" if summary else
                  "the demo stopped after its release gate, so the trace graph holds every "
                  "step up to and including the gate")
    limits = {"<= 0.8 s": 0.8, "<= 1.5 s": 1.5, "<= 2x baseline": 2 * baseline.median}
    rows = []
    for case in cases:
        ratio = case.median / baseline.median
        met = "-" if case.goal == "-" else ("yes" if case.median <= limits[case.goal] else "no")
        rows.append(f"| `{case.label}` | {seconds(case.median)} | {seconds(case.slowest)} | "
                    f"{ratio:.2f}x | {case.goal} | {met} |")
    command = shlex.join([".venv/bin/python", "benchmarks/cli_startup.py", *sys.argv[1:]])
    lines = [
        "## CLI start-up",
        "",
        "Whole processes of the installed `edgedeploy` console script, as a user runs them, "
        f"{args.runs} runs per command interleaved with the baseline "
        '(`python -c "import click"`) so that each figure shares the machine\'s load with its '
        "baseline; the median decides the goal. Bytecode caches are written by the unmeasured "
        "first run of each command, as an installation has them. `trace gate` and `doctor` "
        f"run on the demo's home ({demo_state}); the gate answered exit "
        f"{'/'.join(str(code) for code in sorted(gate.exits))}.",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.machine()} {platform.system()}, {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}; 1-minute load average {load_before:.1f} at the "
        f"start and {load_after:.1f} at the end ({elapsed:.0f} s wall time; the cores were "
        "shared with other work while measuring).",
        "",
        "| command | median | slowest | / baseline | goal | goal met |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "Where the time goes: import time of the installed packages each loads, in one "
        "further run (`python -X importtime`; a package another one imports is counted with "
        "that one):",
        "",
        "| command | imports, largest first |",
        "|---|---|",
        *(f"| `{label}` | " + ", ".join(f"{name} {seconds(cost)}" for name, cost in
                                        profile[:8]) + " |"
          for label, profile in profiles.items()),
        "",
        "`--help` and shell completion import click and the CLI's own modules only; "
        "`tests/e2e/test_cli_startup.py` fails when a help or completion request loads an ML "
        "framework, numpy, scipy, matplotlib, SQLAlchemy, an RDF library or Litestar.",
    ]
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from collect import main as collect

        collect()
        print(f"wrote {args.markdown}")
    print()
    print(f"Command: {command}")
    for label, profile in profiles.items():
        print(f"{label}: " + ", ".join(f"{name} {seconds(cost)}" for name, cost in profile[:8]))
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
