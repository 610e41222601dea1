"""Run the copy-paste blocks of the guides in ``docs/guides`` the way a reader would.

A fenced block takes part when its info string carries attributes in braces:

* ```` ```sh {test} ```` runs with bash in the guide's working directory; its exit status must
  be 0, or the one it declares (```` ```sh {test exit=3} ```` for a gate that must block).
  Blocks run in document order, and variables a block sets are seen by the later ones, as in
  one terminal.
* ```` ```yaml {file=fleet.yaml check=fleet} ```` writes the block to that path (relative to
  the working directory) so later commands can use it, then loads it with the product's own
  loader: ``check=fleet`` with :func:`edgedeploy.adapters.fleet.load_fleet`,
  ``check=settings`` with :func:`edgedeploy.entrypoints.settings.load_settings`. Without
  ``check`` the file is only written (a requirements file, say, that a later command imports).

Blocks without braces are illustrations and are not run. The port ``8700`` in
``127.0.0.1:8700`` and ``--port 8700`` is the documented default; the runner replaces it with
a free loopback port so the guide's own ``edgedeploy serve`` never collides with anything.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^```(?P<lang>[\w-]+)[ \t]*\{(?P<attrs>[^}]*)\}[ \t]*$")
DEFAULT_PORT = "8700"
BLOCK_TIMEOUT_S = 600
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Block:
    """One marked block of a guide."""

    guide: Path
    line: int
    lang: str
    attrs: dict[str, str]
    body: str

    @property
    def where(self) -> str:
        """``docs/guides/x.md:42`` for failure messages."""
        return f"{self.guide.name}:{self.line}"

    @property
    def runs(self) -> bool:
        """A shell block that is executed (rather than a file that is written)."""
        return "test" in self.attrs and "file" not in self.attrs

    @property
    def expected_exit(self) -> int:
        """The exit status the block declares (default 0)."""
        return int(self.attrs.get("exit", "0"))


def parse_blocks(guide: Path) -> list[Block]:
    """Every marked block of ``guide``, in document order."""
    blocks: list[Block] = []
    lines = guide.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        start = i + 1
        end = start
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        if end == len(lines):
            raise ValueError(f"{guide.name}:{start}: the block is never closed")
        attrs: dict[str, str] = {}
        for token in shlex.split(match["attrs"]):
            key, _, value = token.partition("=")
            attrs[key] = value
        # ``line`` is the 1-based number of the block's first line, for failure messages.
        blocks.append(Block(guide, start + 1, match["lang"], attrs,
                            "\n".join(lines[start:end])))
        i = end + 1
    return blocks


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class GuideSession:
    """One reader's terminal: a working directory, a fresh home and the shell state."""

    workdir: Path
    port: int = field(default_factory=free_port)
    _groups: list[int] = field(default_factory=list)

    @property
    def home(self) -> Path:
        """``EDGEDEPLOY_HOME``: the default ``.edgedeploy`` below the working directory."""
        return self.workdir / ".edgedeploy"

    @property
    def state_file(self) -> Path:
        """Where the variables of one block are kept for the next."""
        return self.workdir.parent / f".{self.workdir.name}-shell-state"

    def environment(self) -> dict[str, str]:
        """The reader's environment: the venv first on PATH, no inherited settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEDEPLOY_")}
        env.update(PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
                   EDGEDEPLOY_HOME=str(self.home), PYTHONUNBUFFERED="1")
        env.pop("VIRTUAL_ENV", None)
        return env

    def localise(self, text: str) -> str:
        """The documented default port replaced by this session's free port."""
        return (text.replace(f"127.0.0.1:{DEFAULT_PORT}", f"127.0.0.1:{self.port}")
                .replace(f"--port {DEFAULT_PORT}", f"--port {self.port}"))

    def run(self, block: Block) -> None:
        """Execute or write ``block``; raise AssertionError naming it when it misbehaves."""
        if "file" in block.attrs:
            self._write(block)
            return
        state = shlex.quote(str(self.state_file))
        script = "\n".join((
            "set -a",
            f"if [ -f {state} ]; then . {state}; fi",
            # Keep this block's variables for the next one, whatever its exit status.
            f"trap 'rc=$?; set +e; export -p | grep -v \"^declare -[a-zA-Z]*r\" > {state}; "
            "exit $rc' EXIT",
            "set -e -o pipefail",
            self.localise(block.body), ""))
        log = self.workdir.parent / f".{self.workdir.name}-{block.guide.stem}-{block.line}.log"
        # Each block gets its own process group, so whatever it leaves running in the
        # background (the guide's own `edgedeploy serve &`) can be stopped by that group's id.
        # Output goes to a file, not a pipe, so a background process never holds the block.
        with log.open("wb") as sink:
            proc = subprocess.Popen(["bash", "-c", script], cwd=self.workdir,
                                    env=self.environment(), stdout=sink,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            self._groups.append(proc.pid)
            try:
                proc.wait(timeout=BLOCK_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._stop_group(proc.pid)
                proc.wait()
                raise AssertionError(f"{block.where}: still running after {BLOCK_TIMEOUT_S} s"
                                     f"\n{_tail(log.read_bytes())}") from None
        output = log.read_bytes()
        if proc.returncode != block.expected_exit:
            raise AssertionError(
                f"{block.where}: exit status {proc.returncode}, the guide says "
                f"{block.expected_exit}\n--- block ---\n{block.body}\n--- output ---\n"
                f"{_tail(output)}")

    def _write(self, block: Block) -> None:
        target = self.workdir / block.attrs["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.body + "\n", encoding="utf-8")
        check = block.attrs.get("check")
        try:
            if check == "fleet":
                from edgedeploy.adapters.fleet import load_fleet

                load_fleet(target).close()
            elif check == "settings":
                from edgedeploy.entrypoints.settings import load_settings

                load_settings({"EDGEDEPLOY_CONFIG": str(target)})
            elif check is not None:
                raise AssertionError(f"{block.where}: unknown check '{check}'")
        except AssertionError:
            raise
        except Exception as exc:
            raise AssertionError(f"{block.where}: {target.name} does not load: {exc}") from exc

    def close(self) -> None:
        """Stop whatever the guide's blocks left running (by their process groups)."""
        for group in self._groups:
            self._stop_group(group)

    @staticmethod
    def _stop_group(group: int) -> None:
        try:
            os.killpg(group, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            return


def needs_curl(blocks: list[Block]) -> bool:
    """Whether any executed block calls curl."""
    return any(b.runs and re.search(r"\bcurl\b", b.body) for b in blocks)


def curl_missing_reason() -> str | None:
    """Why curl blocks cannot run here, or None when curl is installed."""
    return None if shutil.which("curl") else "curl is not installed on this machine"


def _tail(output: bytes, limit: int = 6000) -> str:
    text = output.decode("utf-8", errors="replace")
    return text if len(text) <= limit else "…" + text[-limit:]
