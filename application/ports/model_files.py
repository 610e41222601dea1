"""The port that opens a model file at registration, so a file that would fail later is refused.

Reading ONNX graphs and PyTorch archives is ML work, so it lies behind this port in a plugin;
the registry only learns whether the file holds up and what was checked.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol

from edgedeploy.application.errors import InvalidInput


class ModelFormat(enum.StrEnum):
    """What a model file claims to be, by its bytes or, failing that, its file name."""

    ONNX = "onnx"
    PYTORCH = "pytorch"
    """A TorchScript archive or a ``torch.save`` checkpoint; the loader tells them apart."""
    EXPORTED_PROGRAM = "exported-program"
    UNKNOWN = "unknown"


class InvalidModelFile(InvalidInput):
    """A model file does not parse, its graph does not check, or one inference fails.

    HTTP 422, exit 2: the file was received whole, and it is refused for what it would do later
    (fail to load at optimization, verification or on the ECU).

    Attributes:
        name: the file's name as given at registration (may be empty).
        format: the format the file was read as.
        problem: what is wrong, in words.
    """

    code = "MODEL_FILE_INVALID"

    def __init__(self, name: str, format_: ModelFormat, problem: str) -> None:
        self.name, self.format, self.problem = name, format_, problem
        subject = f"model file {name}" if name else "the model file"
        super().__init__(f"{subject} ({format_.value}) is refused: {problem}")


@dataclass(frozen=True, slots=True)
class ModelFileReport:
    """What the inspection of one model file found; kept as evidence on the model version.

    Attributes:
        format: the format the file was read as.
        inspector: the libraries and versions that judged the file.
        checks: the checks that passed, in order (e.g. ``parsed``, ``graph checked``).
        inference: ``ran`` or why no inference was run (too large, no declared input).
        inputs: the declared inputs as ``name: dtype[dims]`` (dynamic dimensions by name).
        outputs: the declared outputs, written the same way.
        details: further facts of the format (opset, pickle scan), as plain data.
    """

    format: ModelFormat
    inspector: str
    checks: tuple[str, ...] = ()
    inference: str = "not run"
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def inspected(self) -> bool:
        """False when the format was not recognised and nothing could be checked."""
        return self.format is not ModelFormat.UNKNOWN

    @property
    def summary(self) -> str:
        """One line for the trace item, e.g. ``onnx: parsed, graph checked, inference ran``."""
        if not self.inspected:
            return f"not inspected: {self.inference}"
        return f"{self.format.value}: {', '.join(self.checks)}; inference {self.inference}"

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data for the evidence file."""
        return {"format": self.format.value, "inspected": self.inspected,
                "inspector": self.inspector, "checks": list(self.checks),
                "inference": self.inference, "inputs": list(self.inputs),
                "outputs": list(self.outputs), "details": dict(self.details)}


class ModelFileInspector(Protocol):
    """Opens a model file the way the later steps will, and runs it once where that is cheap."""

    def inspect(self, data: bytes, declared: ModelFormat, name: str) -> ModelFileReport:
        """Check ``data`` as a ``declared`` file named ``name`` and report what held up.

        Raises:
            InvalidModelFile: the file does not parse, its graph does not check, or one
                inference on its declared inputs fails; the message names the problem.
            UnsafeModelFile: the file's pickles import a global that could run code.
        """
        ...
