"""Adapters of the edge agent: durable state, the package repository, NumPy tensor tools."""

from adapters.edge.packages import DirectoryPackageSource, sha256_file, write_package
from adapters.edge.state import JsonFileAgentState
from adapters.edge.tensors import NumpyTensorTools

__all__ = [
    "DirectoryPackageSource",
    "JsonFileAgentState",
    "NumpyTensorTools",
    "sha256_file",
    "write_package",
]
