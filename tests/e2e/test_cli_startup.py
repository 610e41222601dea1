"""``--help`` and shell completion load no heavy library, checked in a fresh interpreter.

Timing lives in ``benchmarks/cli_startup.py``; these tests pin the cause of a slow start
instead: which modules a help or completion request leaves in ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

HEAVY = ("torch", "onnxruntime", "onnx", "scipy", "matplotlib", "sqlalchemy", "numpy",
         "rdflib", "pyoxigraph", "litestar")

HELP_EVERYTHING = textwrap.dedent("""
    import json, sys
    import click
    from click.testing import CliRunner
    from edgedeploy.entrypoints.cli import cli

    def paths(command, prefix):
        yield prefix
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                yield from paths(sub, [*prefix, name])

    runner = CliRunner()
    failures, helped = [], []
    for path in paths(cli, []):
        result = runner.invoke(cli, [*path, "--help"])
        helped.append(" ".join(path))
        if result.exit_code != 0 or "Usage:" not in result.output:
            failures.append([path, result.exit_code, result.output[-400:]])
    heavy = sys.argv[1].split(",")
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
    print(json.dumps({"helped": helped, "failures": failures, "loaded": loaded}))
""")

COMPLETE = textwrap.dedent("""
    import json, sys
    from edgedeploy.entrypoints.cli import cli, PROG_NAME
    try:
        cli.main(args=[], prog_name=PROG_NAME)
    except SystemExit:
        pass
    heavy = sys.argv[1].split(",")
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
    print(json.dumps({"loaded": loaded}))
""")


def _run(script: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", script, ",".join(HEAVY)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})},
                          check=False)


def test_help_of_the_group_and_of_every_command_imports_no_heavy_library():
    done = _run(HELP_EVERYTHING)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["failures"] == []
    # The walk reached the group, the groups and their commands (not only the top level).
    assert "" in report["helped"] and "trace gate" in report["helped"]
    assert "rollout list" in report["helped"] and "agent serve" in report["helped"]
    assert report["loaded"] == [], f"--help imported {report['loaded']}"


def test_shell_completion_answers_from_the_command_tree_without_heavy_libraries():
    done = _run(COMPLETE, {"_EDGEDEPLOY_COMPLETE": "bash_complete",
                           "COMP_WORDS": "edgedeploy trace g", "COMP_CWORD": "2"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "plain,gate" in lines
    assert json.loads(lines[-1])["loaded"] == []


def test_the_bash_completion_script_names_the_documented_variable():
    done = _run(COMPLETE, {"_EDGEDEPLOY_COMPLETE": "bash_source"})
    assert done.returncode == 0, done.stderr
    assert "_EDGEDEPLOY_COMPLETE=bash_complete" in done.stdout
    assert "complete -o nosort -F _edgedeploy_completion edgedeploy" in done.stdout
