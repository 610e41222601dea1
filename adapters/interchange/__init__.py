"""Requirement interchange: ReqIF, CSV and YAML readers, the ReqIF writer, matrix renderers."""

from adapters.interchange.csv_reader import CsvRequirementsReader
from adapters.interchange.matrix import CsvHtmlMatrixRenderer
from adapters.interchange.registry import InterchangeRegistry, default_readers, readers_by_suffix
from adapters.interchange.reqif_reader import ReqIfReader
from adapters.interchange.reqif_schema import AttributeSpec, AttributeType, ReqIfDocument
from adapters.interchange.reqif_writer import ReqIfWriter
from adapters.interchange.xhtml import plain_text
from adapters.interchange.yaml_reader import YamlRequirementsReader

__all__ = [
    "AttributeSpec",
    "AttributeType",
    "CsvHtmlMatrixRenderer",
    "CsvRequirementsReader",
    "InterchangeRegistry",
    "ReqIfDocument",
    "ReqIfReader",
    "ReqIfWriter",
    "YamlRequirementsReader",
    "default_readers",
    "plain_text",
    "readers_by_suffix",
]
