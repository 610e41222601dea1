"""A scripted model-file inspector: passes every file, or refuses with the problem it is given."""

from __future__ import annotations

from edgedeploy.application.ports.model_files import (
    InvalidModelFile,
    ModelFileReport,
    ModelFormat,
)


class ScriptedModelFileInspector:
    """Answers every inspection with ``problem`` (a refusal) or a passing report."""

    def __init__(self, problem: str | None = None) -> None:
        self.problem = problem
        self.inspected: list[tuple[ModelFormat, str]] = []

    def inspect(self, data: bytes, declared: ModelFormat, name: str) -> ModelFileReport:
        self.inspected.append((declared, name))
        if self.problem is not None:
            raise InvalidModelFile(name, declared, self.problem)
        return ModelFileReport(declared, "scripted", ("parsed",), "ran")
