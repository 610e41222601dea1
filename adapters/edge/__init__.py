"""Adapters of the edge agent: durable state, the package repository, NumPy tensor tools."""

from edgedeploy.adapters.edge.packages import DirectoryPackageSource, sha256_file, write_package
from edgedeploy.adapters.edge.state import JsonFileAgentState
from edgedeploy.adapters.edge.tensors import NumpyTensorTools

__all__ = [
    "DirectoryPackageSource",
    "JsonFileAgentState",
    "NumpyTensorTools",
    "sha256_file",
    "write_package",
]
