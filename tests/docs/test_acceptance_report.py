"""The auditors' acceptance report: Cucumber JSON read, summarised and rendered as HTML."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from edgedeploy.adapters.reporting.acceptance import CucumberAcceptanceReport
from edgedeploy.application.errors import InvalidInput

FIXTURE = Path(__file__).parent / "fixtures" / "acceptance.json"


class _Page(HTMLParser):
    """Collects what a self-contained page must not have and the text it shows."""

    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith(("#", "data:")):
                self.external.append(value)
        if tag in ("script", "link"):
            self.external.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _page(html: bytes) -> _Page:
    page = _Page()
    page.feed(html.decode("utf-8"))
    return page


@pytest.fixture(name="report")
def fx_report():
    return CucumberAcceptanceReport().read(str(FIXTURE), FIXTURE.read_bytes())


def test_scenarios_inherit_their_features_requirement_and_asil_tags(report):
    gate, blocks = report.features[0].scenarios
    assert gate.requirements == ("SR_TRACE_001",)
    assert gate.asil == "D"
    assert blocks.tags == ("req_SR_TRACE_004",)
    assert blocks.requirements == ("SR_TRACE_001", "SR_TRACE_004")


def test_a_failed_step_fails_its_scenario_and_a_skipped_one_never_counts_as_passed(report):
    statuses = [s.status for s in report.scenarios]
    assert statuses == ["passed", "failed", "skipped"]
    assert report.passed is False
    assert report.totals() == {
        "features": 2,
        "scenarios": {"total": 3, "passed": 1, "failed": 1, "skipped": 1},
        "steps": {"total": 7, "passed": 5, "failed": 1, "skipped": 1},
        "requirements": {"total": 3, "passed": 0, "failed": 2, "skipped": 1},
    }


def test_each_requirement_is_summarised_over_the_scenarios_that_verify_it(report):
    rows = {r.requirement: (r.asil, r.scenarios, r.passed, r.failed, r.status)
            for r in report.requirements}
    assert rows == {
        "SR_TRACE_001": ("D", 2, 1, 1, "failed"),
        "SR_TRACE_004": ("D", 1, 0, 1, "failed"),
        "SR_MON_002": ("C", 1, 0, 0, "skipped"),
    }


def test_the_page_is_self_contained_escaped_and_names_the_digest_of_its_source(report):
    html = CucumberAcceptanceReport().html(report)
    page = _page(html)
    text = " ".join(page.text)
    assert page.external == []
    assert "A missing independent review <blocks> the gate" in text  # escaped, shown as text
    assert b"<blocks>" not in html
    assert "AssertionError: expected <blocked>, got passed" in text
    assert "@req_SR_TRACE_001" in text and "@asil_d" in text and "@asil_C" in text
    assert hashlib.sha256(FIXTURE.read_bytes()).hexdigest() in text
    assert "not every scenario passed" in text


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", "not JSON"),
    (b'{"features": []}', "expected a list of Cucumber features"),
    (b'[{"name": "f", "elements": [{"name": "s", "steps": [{"name": "x"}]}]}]',
     "step 1: result: expected an object"),
    (b'[{"name": "f", "elements": [{"name": "s", "steps": [{"name": "x", '
     b'"result": {"status": "exploded"}}]}]}]', "unknown step status 'exploded'"),
])
def test_a_file_that_is_not_cucumber_json_is_refused_with_the_place_named(content, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        CucumberAcceptanceReport().read("run.json", content)
    assert caught.value.code == "ACCEPTANCE_REPORT_INVALID"
    assert "run.json" in str(caught.value)


def test_the_cli_writes_the_page_and_prints_the_summary_as_json(tmp_path, monkeypatch):
    from edgedeploy.entrypoints.cli import cli

    monkeypatch.setenv("EDGEDEPLOY_HOME", str(tmp_path / "home"))
    target = tmp_path / "out" / "acceptance.html"
    result = CliRunner().invoke(cli, ["report", "acceptance", str(FIXTURE), "--html",
                                      str(target), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["passed"] is False
    assert summary["html"] == str(target)
    assert [s["scenario"] for s in summary["failed_scenarios"]] == [
        "A missing independent review <blocks> the gate"]
    assert "Drift escalates only when it persists" in " ".join(_page(target.read_bytes()).text)
    assert not (tmp_path / "home").exists()  # reading a report opens no state


def test_the_cli_refuses_a_file_that_is_not_cucumber_json_with_exit_2(tmp_path, monkeypatch):
    from edgedeploy.entrypoints.cli import cli

    monkeypatch.setenv("EDGEDEPLOY_HOME", str(tmp_path / "home"))
    bad = tmp_path / "acceptance.json"
    bad.write_text('{"not": "a list"}')
    result = CliRunner().invoke(cli, ["report", "acceptance", str(bad)])
    assert result.exit_code == 2, result.output
    assert "ACCEPTANCE_REPORT_INVALID" in result.output


def test_the_json_pytest_bdd_writes_is_read_as_it_ran(tmp_path):
    """The format is the real producer's: run a tiny feature through pytest-bdd."""
    (tmp_path / "braking.feature").write_text(textwrap.dedent("""\
        @req_SR_DEMO_001 @asil_b
        Feature: Braking
          Scenario: Brakes when asked
            Given a car
            Then it brakes

          @req_SR_DEMO_002
          Scenario: Fails on purpose
            Given a car
            Then it does not brake
        """))
    (tmp_path / "test_braking.py").write_text(textwrap.dedent("""\
        from pytest_bdd import given, scenarios, then

        scenarios("braking.feature")

        @given("a car")
        def car():
            pass

        @then("it brakes")
        def brakes():
            pass

        @then("it does not brake")
        def does_not_brake():
            raise AssertionError("it braked")
        """))
    out = tmp_path / "acceptance.json"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "/dev/null",
         "--rootdir", str(tmp_path), f"--cucumberjson={out}", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 1, run.stdout + run.stderr  # one scenario fails on purpose

    report = CucumberAcceptanceReport().read(str(out), out.read_bytes())

    assert [(s.name, s.status, s.requirements, s.asil) for s in report.scenarios] == [
        ("Brakes when asked", "passed", ("SR_DEMO_001",), "B"),
        ("Fails on purpose", "failed", ("SR_DEMO_001", "SR_DEMO_002"), "B"),
    ]
    failed_step = report.scenarios[1].steps[-1]
    assert failed_step.status == "failed" and "it braked" in failed_step.error
