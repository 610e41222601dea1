"""Requirement interchange: ReqIF, CSV and YAML readers, the ReqIF writer, matrix renderers."""

from edgedeploy.adapters.interchange.csv_reader import CsvRequirementsReader
from edgedeploy.adapters.interchange.limits import ImportLimits
from edgedeploy.adapters.interchange.mapping import (
    RelationMeaning,
    ReqIfMapping,
    default_mapping,
    load_mapping,
)
from edgedeploy.adapters.interchange.matrix import CsvHtmlMatrixRenderer
from edgedeploy.adapters.interchange.registry import (
    InterchangeRegistry,
    default_readers,
    readers_by_suffix,
)
from edgedeploy.adapters.interchange.reqif_reader import ReqIfReader
from edgedeploy.adapters.interchange.reqif_schema import AttributeSpec, AttributeType, ReqIfDocument
from edgedeploy.adapters.interchange.reqif_writer import ReqIfWriter
from edgedeploy.adapters.interchange.xhtml import plain_text
from edgedeploy.adapters.interchange.yaml_reader import YamlRequirementsReader

__all__ = [
    "AttributeSpec",
    "AttributeType",
    "CsvHtmlMatrixRenderer",
    "CsvRequirementsReader",
    "ImportLimits",
    "InterchangeRegistry",
    "RelationMeaning",
    "ReqIfDocument",
    "ReqIfMapping",
    "ReqIfReader",
    "ReqIfWriter",
    "YamlRequirementsReader",
    "default_mapping",
    "default_readers",
    "load_mapping",
    "plain_text",
    "readers_by_suffix",
]
