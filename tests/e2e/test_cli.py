"""The CLI end to end over a fresh home (real SQLite and on-disk trace store)."""

from __future__ import annotations

import json

from tests.e2e.conftest import EXAMPLE, FIXTURES
from tests.fakes.onnx_models import build_classifier


def test_trace_import_reports_and_json_is_machine_readable(cli):
    result = cli("trace", "import", str(EXAMPLE), "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["created"]


def test_a_malformed_file_exits_with_the_input_error_code(cli):
    result = cli("trace", "import", str(FIXTURES / "bad_xml.reqif"))
    assert result.exit_code == 2
    assert "bad_xml.reqif" in result.output


def test_the_gate_exits_3_and_lists_gaps_when_the_trace_is_incomplete(cli, tmp_path):
    model = build_classifier(tmp_path / "model.onnx", 1.0)
    assert cli("trace", "import", str(EXAMPLE)).exit_code == 0
    assert cli("models", "register", "aeb@1.0.0", str(model)).exit_code == 0
    result = cli("trace", "gate", "aeb@1.0.0")
    assert result.exit_code == 3
    assert "BLOCKED" in result.output and "MODEL_NOT_TRACED" in result.output


def test_the_gate_passes_with_exit_0_for_a_complete_trace(cli, tmp_path):
    spec = tmp_path / "reqs.yaml"
    spec.write_text(
        "requirements:\n"
        "  - {id: SYS-1, title: Brake for pedestrians, asil: B, level: system}\n"
        "  - {id: MLR-1, title: Detect pedestrians, asil: B, level: ml}\n"
        "links:\n"
        "  - {source: SYS-1, relation: derives, target: MLR-1}\n")
    model = build_classifier(tmp_path / "model.onnx", 1.0)
    report = tmp_path / "report.json"
    report.write_text('{"accuracy": 0.99}')
    steps = [
        ("trace", "import", str(spec)),
        ("models", "register", "aeb@1.0.0", str(model)),
        ("trace", "artifact", "test", "TC-1", "--file", str(report)),
        ("trace", "artifact", "test", "TC-2"),
        ("trace", "link", "MLR-1", "implemented_by", "aeb@1.0.0"),
        ("trace", "link", "MLR-1", "verified_by", "TC-1", "--evidence", str(report),
         "--verdict", "passed"),
        ("trace", "link", "SYS-1", "verified_by", "TC-2", "--evidence", str(report),
         "--verdict", "passed"),
    ]
    for step in steps:
        result = cli(*step)
        assert result.exit_code == 0, (step, result.output)
    result = cli("trace", "gate", "aeb@1.0.0", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passed"] is True


def test_evidence_is_recorded_as_who_runs_the_command_and_never_without_a_verdict(cli,
                                                                                  tmp_path):
    spec = tmp_path / "reqs.yaml"
    spec.write_text("requirements:\n  - {id: SYS-1, title: Brake, asil: D, level: system}\n")
    report = tmp_path / "report.json"
    report.write_text("{}")
    assert cli("trace", "import", str(spec)).exit_code == 0
    assert cli("trace", "artifact", "test", "TC-1").exit_code == 0
    no_verdict = cli("trace", "link", "SYS-1", "verified_by", "TC-1", "--evidence", str(report))
    assert no_verdict.exit_code == 2 and "--verdict" in no_verdict.output
    no_report = cli("trace", "link", "SYS-1", "verified_by", "TC-1", "--verdict", "passed",
                    "--json")
    assert no_report.exit_code == 3
    assert json.loads(no_report.stdout)["type"] == "urn:problem:EVIDENCE_REQUIRED"
    named = cli("trace", "link", "SYS-1", "verified_by", "TC-1", "--verdict", "passed",
                "--by", "someone.else")
    assert named.exit_code == 2
    linked = cli("trace", "link", "SYS-1", "verified_by", "TC-1", "--evidence", str(report),
                 "--verdict", "passed", "--json")
    assert linked.exit_code == 0, linked.output
    # The local login recorded the test and its result: its own review is not independent.
    own = cli("trace", "review", "SYS-1", "verified_by", "TC-1", "--independent", "--json")
    assert own.exit_code == 3
    assert json.loads(own.stdout)["type"] == "urn:problem:SEPARATION_OF_DUTIES"
    assert cli("trace", "review", "SYS-1", "verified_by", "TC-1").exit_code == 0


def test_registering_other_bytes_under_the_same_version_is_refused(cli, tmp_path):
    a, b = (build_classifier(tmp_path / f"{n}.onnx", tag) for n, tag in (("a", 1.0), ("b", 2.0)))
    assert cli("models", "register", "aeb@1", str(a)).exit_code == 0
    result = cli("models", "register", "aeb@1", str(b), "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["type"] == "urn:problem:MODEL_DIGEST_MISMATCH"


def test_report_writes_csv_and_html(cli, tmp_path):
    assert cli("trace", "import", str(EXAMPLE)).exit_code == 0
    csv_path, html_path = tmp_path / "m.csv", tmp_path / "m.html"
    result = cli("trace", "report", "--csv", str(csv_path), "--html", str(html_path))
    assert result.exit_code == 0, result.output
    assert csv_path.read_text().splitlines()[0].lower().startswith("id")
    assert "<html" in html_path.read_text().lower()


def test_doctor_names_every_backend_and_why(cli):
    result = cli("doctor", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    names = {b["name"] for b in report["inference_backends"]}
    assert "onnxruntime" in names
    for backend in report["inference_backends"]:
        assert backend["reason"]
