"""The guides in ``docs/guides`` do what they say: every marked block runs as a reader runs it.

Each guide runs in a fresh working directory whose ``.edgedeploy`` is ``EDGEDEPLOY_HOME``, with
``edgedeploy`` resolved to this virtual environment's console script (see ``guide_runner``).
The safety auditor's and the integrator's guides continue in the release engineer's working
directory, as their readers would: they inspect and drive the release made there.

The guides use the bundled example model that ``edgedeploy demo`` trains into
``.edgedeploy/models``. Training is the slow part, so the tests put the example there the way the
rest of the suite gets it (``small_example``: the same training function, trained once per
session, with the suite's smaller data file); the guides' commands then find it where a reader
who ran the demo finds it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.docs.guide_runner import (
    Block,
    GuideSession,
    curl_missing_reason,
    needs_curl,
    parse_blocks,
)
from tests.plugins.example_models import TrainedExample

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
GUIDES = DOCS / "guides"
ACCEPTANCE_FIXTURE = Path(__file__).parent / "fixtures" / "acceptance.json"
ROLE_GUIDES = ("release-engineer.md", "safety-auditor.md", "integrator.md", "operator.md")
LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")


def _seed_example(session: GuideSession, example: TrainedExample) -> None:
    """Put the trained example where ``edgedeploy demo`` caches it in this home."""
    folder = session.home / "models" / "examples" / example.checkpoint.parent.name
    folder.mkdir(parents=True)
    shutil.copy(example.checkpoint, folder / "model.pt")
    shutil.copy(example.data, folder / "digits.npz")
    meta = example.checkpoint.parent / "example.json"
    if meta.is_file():
        shutil.copy(meta, folder / "example.json")


def _run_guide(session: GuideSession, name: str) -> list[Block]:
    blocks = parse_blocks(GUIDES / name)
    if needs_curl(blocks) and (reason := curl_missing_reason()) is not None:
        pytest.skip(f"{name} drives the HTTP API with curl: {reason}")
    for block in blocks:
        session.run(block)
    return blocks


@pytest.fixture(name="release_session", scope="module")
def fx_release_session(tmp_path_factory, small_example):
    """The release engineer's terminal after their guide ran (once per module)."""
    session = GuideSession(tmp_path_factory.mktemp("release-engineer"))
    _seed_example(session, small_example)
    outcome: list[BaseException] = []
    try:
        _run_guide(session, "release-engineer.md")
    except (AssertionError, pytest.skip.Exception) as exc:
        outcome.append(exc)
    yield session, outcome
    session.close()


def _continue_in(release_session, name: str) -> None:
    session, outcome = release_session
    if outcome:
        pytest.fail(f"{name} continues the release engineer's guide, which failed:\n"
                    f"{outcome[0]}")
    _run_guide(session, name)


@pytest.mark.parametrize("name", [*ROLE_GUIDES, "../README.md"])
def test_each_guide_and_the_index_link_only_to_files_that_exist(name):
    page = (GUIDES / name).resolve()
    missing = [m["target"] for m in LINK.finditer(page.read_text(encoding="utf-8"))
               if "://" not in m["target"] and not (page.parent / m["target"]).exists()]
    assert missing == []


def test_the_index_names_a_guide_for_every_reader():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for target in (*(f"guides/{g}" for g in ROLE_GUIDES), "plugins.md", "architecture.md",
                   "benchmarks.md"):
        assert f"({target})" in index, target


@pytest.mark.parametrize("name", ROLE_GUIDES)
def test_each_guide_has_commands_the_suite_runs(name):
    blocks = parse_blocks(GUIDES / name)
    assert sum(b.runs for b in blocks) >= 3


def test_a_block_that_exits_other_than_declared_fails_and_names_its_line(tmp_path):
    guide = tmp_path / "guide.md"
    guide.write_text("text\n\n```sh {test}\nfalse\n```\n\n```sh {test exit=3}\nexit 3\n```\n")
    session = GuideSession(tmp_path / "work")
    session.workdir.mkdir()
    failing, declared = parse_blocks(guide)
    with pytest.raises(AssertionError, match=r"guide\.md:4: exit status 1, the guide says 0"):
        session.run(failing)
    session.run(declared)


def test_variables_carry_from_one_block_to_the_next_and_files_are_checked(tmp_path):
    guide = tmp_path / "guide.md"
    guide.write_text("```sh {test}\nGREETING=hello\n```\n\n"
                     "```sh {test}\ntest \"$GREETING\" = hello\n```\n\n"
                     "```toml {file=bad.toml check=settings}\nlog_level = \"loud\"\n```\n")
    session = GuideSession(tmp_path / "work")
    session.workdir.mkdir()
    first, second, settings = parse_blocks(guide)
    session.run(first)
    session.run(second)
    with pytest.raises(AssertionError, match=r"bad\.toml does not load"):
        session.run(settings)


@pytest.mark.slow
def test_the_release_engineer_guide_runs_from_optimize_to_monitor(release_session):
    session, outcome = release_session
    if outcome:
        raise outcome[0]
    assert (session.workdir / "verification.json").is_file()


@pytest.mark.slow
def test_the_safety_auditor_guide_runs_on_the_release_it_inspects(release_session):
    session, _ = release_session
    reports = session.workdir / "reports"
    reports.mkdir(exist_ok=True)
    # What `make test` writes; here a small run with a failed and a skipped scenario.
    shutil.copy(ACCEPTANCE_FIXTURE, reports / "acceptance.json")
    _continue_in(release_session, "safety-auditor.md")
    assert (reports / "acceptance.html").is_file()
    assert (session.workdir / "matrix.html").is_file()


@pytest.mark.slow
def test_the_integrator_guide_runs_against_a_real_server(release_session):
    _continue_in(release_session, "integrator.md")


@pytest.mark.slow
def test_the_operator_guide_runs_on_a_fresh_home(tmp_path):
    session = GuideSession(tmp_path / "operator")
    session.workdir.mkdir()
    try:
        _run_guide(session, "operator.md")
    finally:
        session.close()
