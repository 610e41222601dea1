"""``serve`` and ``agent serve`` announce themselves with one start line, also as JSON.

Each runs as a real process of the installed console script, answers on loopback, and is
stopped by its process id.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

EDGEDEPLOY = Path(sys.executable).with_name("edgedeploy")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(args: list[str], home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "EDGEDEPLOY_HOME": str(home), "EDGEDEPLOY_ACTOR": "cli.test"}
    return subprocess.Popen([str(EDGEDEPLOY), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _wait_for(url: str, process: subprocess.Popen[str], timeout_s: float = 120) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode}: {process.stderr.read()[-2000:]}")
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout_s} s")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_serve_prints_its_address_as_json_and_then_answers_there(tmp_path):
    port = _free_port()
    process = _start(["serve", "--port", str(port), "--json"], tmp_path / "home")
    try:
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
        assert line["event"] == "serving"
        assert line["url"] == f"http://127.0.0.1:{port}"
        assert _wait_for(line["openapi"], process).status_code == 200
    finally:
        _stop(process)


def test_agent_serve_prints_its_start_line_as_json_and_then_answers_there(tmp_path):
    port = _free_port()
    home = tmp_path / "agent"
    process = _start(["agent", "serve", "--device-id", "ecu-0001", "--port", str(port),
                      "--home", str(home), "--json"], tmp_path / "home")
    try:
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
        assert line["event"] == "starting" and line["device_id"] == "ecu-0001"
        assert line["home"] == str(home)
        assert line["repository"] == str(home / "repository")
        assert line["token_file"] == str(home / "controller.token")
        assert _wait_for(f"{line['url']}/healthz", process).status_code == 401
        secret = Path(line["token_file"]).read_text().strip()
        answer = httpx.get(f"{line['url']}/healthz", timeout=5,
                           headers={"Authorization": f"Bearer {secret}"})
        assert answer.status_code == 200
    finally:
        _stop(process)


def test_a_port_outside_the_valid_range_is_invalid_input(tmp_path):
    done = subprocess.run([str(EDGEDEPLOY), "agent", "serve", "--device-id", "d", "--port",
                           "70000"], capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "EDGEDEPLOY_HOME": str(tmp_path)})
    assert done.returncode == 2
    assert "70000" in done.stderr
