"""How the words requirement tools use map onto our concepts.

DOORS, Polarion, codebeamer, Enterprise Architect and ReqIF Studio name the same things
differently ("ReqIF.ForeignID", "ID", "Key"; "Derived From", "derives"). Recognising them in one
place keeps the readers consistent and makes the accepted spellings easy to review.
"""

from __future__ import annotations

import enum
import re

from edgedeploy.adapters.interchange.mapping import RelationMeaning, default_mapping
from edgedeploy.domain.requirements import ArtifactKind, RequirementLevel


class Role(enum.StrEnum):
    """What a tool attribute means to us; ``OTHER`` attributes are kept verbatim."""

    ID = "id"
    TITLE = "title"
    TEXT = "text"
    ASIL = "asil"
    LEVEL = "level"
    STATUS = "status"
    VERSION = "version"
    OTHER = "other"


def normalize(name: str) -> str:
    """Lower-case letters and digits only: ``ReqIF.ForeignID`` -> ``reqifforeignid``."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


# Names per role, most preferred first: when several attributes could fill a role the first
# name wins, and the names our own export writes come first so that an export read back fills
# every role from the same attribute as before.
_ROLE_NAMES: tuple[tuple[Role, tuple[str, ...]], ...] = (
    (Role.ID, ("reqifforeignid", "id", "foreignid", "identifier", "key", "reqid",
               "requirementid", "objectidentifier", "itemid", "alias")),
    (Role.TITLE, ("reqifname", "title", "name", "heading", "reqifchaptername", "summary",
                  "shorttext")),
    (Role.TEXT, ("reqiftext", "text", "description", "objecttext", "reqifdescription", "body",
                 "notes")),
    (Role.ASIL, ("asil",)),
    (Role.LEVEL, ("level", "requirementlevel", "kind", "type", "requirementtype", "reqiflevel")),
    (Role.STATUS, ("status", "reqifstatus", "state")),
    (Role.VERSION, ("version",)),
)
_ROLES: dict[str, Role] = {name: role for role, names in _ROLE_NAMES for name in names}
_RANKS: dict[str, int] = {name: rank for rank, name in enumerate(
    name for _, names in _ROLE_NAMES for name in names)}


def _key(name: str) -> str:
    # Enterprise Architect exports tagged values as "TV:<name>".
    return normalize(name.removeprefix("TV:").removeprefix("tv:"))


def role_of(name: str) -> Role:
    """The role of an attribute, by its name as the tool wrote it."""
    key = _key(name)
    if "asil" in key or "safetyintegrity" in key or "integritylevel" in key:
        return Role.ASIL
    return _ROLES.get(key, Role.OTHER)


def role_rank(name: str) -> int:
    """Preference among attributes that could fill the same role (lower wins)."""
    return _RANKS.get(_key(name), len(_RANKS))


_LEVEL_WORDS: tuple[tuple[tuple[str, ...], RequirementLevel], ...] = (
    (("dataset", "data", "datarequirement"), RequirementLevel.DATASET),
    (("ml", "machinelearning", "mlrequirement", "mle"), RequirementLevel.ML),
    (("software", "sw", "softwarerequirement", "swe"), RequirementLevel.SOFTWARE),
    (("system", "sys", "systemrequirement"), RequirementLevel.SYSTEM),
    (("stakeholder", "customer", "stakeholderrequirement", "customerrequirement"),
     RequirementLevel.STAKEHOLDER),
)


def parse_level(value: str) -> RequirementLevel | None:
    """The V-model level a tool's level/type value names, or None when it names none."""
    key = normalize(value)
    if not key:
        return None
    for words, level in _LEVEL_WORDS:
        if key in words:
            return level
    for words, level in _LEVEL_WORDS:
        if any(key.startswith(word) and len(word) > 3 for word in words):
            return level
    return None


def relation_meaning(name: str) -> RelationMeaning | None:
    """Our relation and direction for a tool's relation name, or None when we know none.

    The names are those of the shipped ReqIF mapping file (``reqif_mapping.yaml``), so that
    CSV, YAML and ReqIF imports read relation names alike.
    """
    return default_mapping().relation(name)


_TEST_TYPE_WORDS = ("testcase", "testspecification", "testprocedure", "testartifact",
                    "verificationcase", "testrun", "test")


def artifact_kind_of_type(type_name: str) -> ArtifactKind | None:
    """The artifact kind a spec-object type stands for, or None for a requirement type.

    A type named like "Test Case" holds tests; a type named "<kind> Artifact" (as our writer
    names them) holds that kind of artifact. Anything naming a requirement stays one.
    """
    key = normalize(type_name)
    if "requirement" in key:
        return None
    for kind in ArtifactKind:
        if key == f"{kind.value}artifact":
            return kind
    if any(key == word or key.startswith(word) or key.endswith(word)
           for word in _TEST_TYPE_WORDS):
        return ArtifactKind.TEST
    return None
