"""The demo empties only a folder it wrote, and its report carries provenance and sign-off."""

from datetime import UTC, datetime

import pytest

from edgedeploy.adapters.reporting import HtmlReleaseReportRenderer
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.reporting import (
    Chart,
    ReleaseReport,
    ReportSection,
    Series,
)
from edgedeploy.entrypoints.demo.run import MARKER, _empty_output


def test_a_folder_with_files_the_demo_did_not_write_is_refused_and_kept(tmp_path):
    (tmp_path / "thesis.tex").write_text("years of work")
    with pytest.raises(InvalidInput, match=r"thesis\.tex") as caught:
        _empty_output(tmp_path)
    assert caught.value.code == "DEMO_OUTPUT_INVALID"
    assert (tmp_path / "thesis.tex").read_text() == "years of work"


def test_a_folder_the_demo_wrote_is_emptied_and_marked(tmp_path):
    out = tmp_path / "out"
    (out / "edge" / "agents" / "ecu-0").mkdir(parents=True)
    (out / "edge" / "agents" / "ecu-0" / "state.json").write_text("{}")
    (out / "summary.json").write_text("{}")
    _empty_output(out)
    assert [p.name for p in out.iterdir()] == [MARKER]
    (out / "anything-else").write_text("x")  # marked: the demo owns the folder
    _empty_output(out)
    assert [p.name for p in out.iterdir()] == [MARKER]


def test_a_file_is_not_a_demo_folder(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("x")
    with pytest.raises(InvalidInput, match="is a file"):
        _empty_output(target)


def test_the_release_report_shows_provenance_and_a_sign_off_area_escaped():
    report = ReleaseReport(
        "release", "aeb@1.0.0", datetime(2026, 3, 1, tzinfo=UTC), "passed",
        (ReportSection("Optimize", "passed", "chose <mixed>", charts=(
            Chart("Accuracy / latency", "ms", "%",
                  (Series("chosen", (1.0,), (97.0,), highlight=True, style="points"),),
                  bands=((96.5, 98.0, "within budget"),)),)),),
        provenance=(("commit", "abc123 +changes"), ("audit chain head", "#7 sha256:<x>")),
        sign_off=("Safety manager", "Independent assessor"))
    page = HtmlReleaseReportRenderer().render(report).decode()
    assert "abc123 +changes" in page
    assert "#7 sha256:&lt;x&gt;" in page
    assert "chose &lt;mixed&gt;" in page
    assert page.count("<tr><td>Safety manager</td>") == 1
    assert "Independent assessor" in page
    assert 'alt="Accuracy / latency"' in page


def test_a_report_without_provenance_or_sign_off_omits_those_sections():
    report = ReleaseReport("release", "aeb@1.0.0", datetime(2026, 3, 1, tzinfo=UTC),
                           "blocked", ())
    page = HtmlReleaseReportRenderer().render(report).decode()
    assert 'id="provenance"' not in page and 'id="sign-off"' not in page
