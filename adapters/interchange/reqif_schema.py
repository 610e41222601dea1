"""ReqIF 1.2 names and the attribute schema a ReqIF import remembers for its export."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from edgedeploy.application.ports.interchange import RequirementDocument

REQIF_NS = "http://www.omg.org/spec/ReqIF/20110401/reqif.xsd"
XHTML_NS = "http://www.w3.org/1999/xhtml"


class AttributeType(enum.StrEnum):
    """The ReqIF datatype families (``ATTRIBUTE-DEFINITION-<family>``)."""

    STRING = "STRING"
    XHTML = "XHTML"
    ENUMERATION = "ENUMERATION"
    INTEGER = "INTEGER"
    BOOLEAN = "BOOLEAN"
    DATE = "DATE"
    REAL = "REAL"


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """How a tool attribute was declared: its family, and for enumerations every label.

    Requirement attributes travel as text; this is what lets an export declare them again as
    the enumeration, integer or date they were, so that the requirements tool accepts the file
    back without losing its value lists.
    """

    type: AttributeType
    labels: tuple[str, ...] = ()
    multi_valued: bool = False


@dataclass(frozen=True, slots=True)
class ReqIfDocument(RequirementDocument):
    """A ``RequirementDocument`` read from ReqIF, with the declared type of each attribute."""

    attribute_specs: tuple[tuple[str, AttributeSpec], ...] = field(default=())

    def spec(self, name: str) -> AttributeSpec | None:
        """How attribute ``name`` was declared, when the file declared it."""
        for key, spec in self.attribute_specs:
            if key == name:
                return spec
        return None


MULTI_VALUE_SEPARATOR = ", "
"""How the labels of a multi-valued enumeration are joined into one attribute text."""
