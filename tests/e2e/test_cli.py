"""The CLI end to end over a fresh home (real SQLite and on-disk trace store)."""

from __future__ import annotations

import json

from tests.e2e.conftest import EXAMPLE, FIXTURES


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
    model = tmp_path / "model.onnx"
    model.write_bytes(b"not really onnx, but bytes with a digest")
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
    model = tmp_path / "model.onnx"
    model.write_bytes(b"weights")
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
        ("trace", "link", "SYS-1", "verified_by", "TC-2", "--verdict", "passed"),
    ]
    for step in steps:
        result = cli(*step)
        assert result.exit_code == 0, (step, result.output)
    result = cli("trace", "gate", "aeb@1.0.0", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passed"] is True


def test_registering_other_bytes_under_the_same_version_is_refused(cli, tmp_path):
    a, b = tmp_path / "a.onnx", tmp_path / "b.onnx"
    a.write_bytes(b"a")
    b.write_bytes(b"b")
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
