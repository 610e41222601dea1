"""Import requirements from an exchange file into the trace graph, all or nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import PurePath

import structlog

from edgedeploy.application.errors import ImportRefused, InvalidInput
from edgedeploy.application.ports.interchange import (
    Diagnostic,
    RequirementDocument,
    RequirementsReader,
)
from edgedeploy.application.ports.trace_store import TraceChange, TraceStore
from edgedeploy.application.traceability.locking import exclusive
from edgedeploy.domain.errors import DomainError
from edgedeploy.domain.identity import Permission, Principal
from edgedeploy.domain.requirements import Artifact, ItemId, Requirement, TraceItem, item_kind
from edgedeploy.domain.safety import validate_decomposition
from edgedeploy.domain.traceability import DECOMPOSING, TraceLink, check_link_kinds

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import changed."""

    source: str
    created: tuple[ItemId, ...]
    updated: tuple[ItemId, ...]
    unchanged: int
    links_added: int
    suspect_links: int
    diagnostics: tuple[Diagnostic, ...]


class ImportRequirements:
    """Read an exchange file and merge it into the trace graph by identifier.

    Re-importing updates items in place instead of duplicating them; a requirement whose text,
    title or ASIL changed gets a new version and makes every link downstream of it suspect. The
    whole file is checked before anything is written, and the write is one atomic change.
    """

    def __init__(self, store: TraceStore, readers: Sequence[RequirementsReader]) -> None:
        self._store = store
        self._readers = readers

    def reader_for(self, name: str) -> RequirementsReader:
        """The reader for a file name's suffix.

        Raises:
            InvalidInput: no reader handles that suffix.
        """
        suffix = PurePath(name).suffix.lower()
        for reader in self._readers:
            if suffix in reader.formats:
                return reader
        known = sorted({fmt for reader in self._readers for fmt in reader.formats})
        raise InvalidInput(f"{name}: cannot import '{suffix or 'no suffix'}' files; "
                           f"supported: {', '.join(known)}", code="IMPORT_FORMAT_UNKNOWN")

    def __call__(self, name: str, data: bytes, *, actor: Principal,
                 strict: bool = False) -> ImportResult:
        """Import one file as ``actor``; with ``strict``, any diagnostic refuses it.

        Raises:
            Forbidden: ``actor`` may not import requirements.
            ImportRefused: the file is malformed or inconsistent, or ``strict`` and the reader
                reported a diagnostic; nothing was written.
            InvalidInput: the format is unknown.
        """
        actor.require(Permission.IMPORT_REQUIREMENTS)
        document = self.reader_for(name).read(name, data)
        if strict and document.diagnostics:
            first = document.diagnostics[0]
            raise ImportRefused(name, first.location, first.item,
                                f"strict import: {len(document.diagnostics)} diagnostic(s), "
                                f"the first: {first.message}")
        return self.merge(document, actor=actor)

    def merge(self, document: RequirementDocument, *, actor: Principal) -> ImportResult:
        """Merge an already parsed document (the same checks and atomicity).

        Raises:
            Forbidden: ``actor`` may not import requirements.
        """
        with exclusive(self._store):
            return self._merge(document, actor=actor)

    def _merge(self, document: RequirementDocument, *, actor: Principal) -> ImportResult:
        actor.require(Permission.IMPORT_REQUIREMENTS)
        incoming: dict[ItemId, TraceItem] = {}
        items: list[TraceItem] = [*document.requirements, *document.artifacts]
        for item in items:
            if item.id in incoming:
                raise ImportRefused(document.source, "", item.id, "duplicate identifier")
            incoming[item.id] = item

        created: list[ItemId] = []
        updated: list[ItemId] = []
        unchanged = 0
        suspect_from: list[ItemId] = []
        to_write: list[TraceItem] = []
        for item_id, item in incoming.items():
            existing = self._store.get_item(item_id)
            if existing is None:
                created.append(item_id)
                to_write.append(replace(item, recorded_by=actor.name)
                                if isinstance(item, Artifact) else item)
                continue
            if item_kind(existing) != item_kind(item):
                raise ImportRefused(document.source, "", item_id,
                                    f"already exists as a {item_kind(existing)}, "
                                    f"the file declares a {item_kind(item)}")
            if isinstance(existing, Requirement) and isinstance(item, Requirement):
                revised = existing.revised(item)
                if existing.changes_safety_meaning(item):
                    suspect_from.append(item_id)
                if revised == existing:
                    unchanged += 1
                    continue
                to_write.append(revised)
            else:
                assert isinstance(existing, Artifact) and isinstance(item, Artifact)
                merged = _merged_artifact(existing, item)
                if merged == existing:
                    unchanged += 1
                    continue
                to_write.append(merged)
            updated.append(item_id)

        links = self._checked_links(document, incoming)
        self._check_decompositions(document, incoming, links)
        try:
            suspect = self._store.apply(TraceChange(items=to_write, links=links,
                                                    suspect_from=suspect_from))
        except DomainError as exc:
            raise ImportRefused(document.source, "", None, exc.message) from exc
        log.info("requirements.imported", source=document.source, actor=actor.name,
                 created=len(created),
                 updated=len(updated), links=len(links), suspect=suspect)
        return ImportResult(document.source, tuple(created), tuple(updated), unchanged,
                            len(links), suspect, tuple(document.diagnostics))

    def _checked_links(self, document: RequirementDocument,
                       incoming: dict[ItemId, TraceItem]) -> list[TraceLink]:
        merged: list[TraceLink] = []
        for link in document.links:
            ends = []
            for end in (link.source, link.target):
                item = incoming.get(end) or self._store.get_item(end)
                if item is None:
                    raise ImportRefused(document.source, "relation", end,
                                        f"{link.source} {link.relation} {link.target} points "
                                        f"to '{end}', which exists neither in the file nor in "
                                        "the trace store")
                ends.append(item)
            try:
                check_link_kinds(link, item_kind(ends[0]), item_kind(ends[1]))
            except DomainError as exc:
                raise ImportRefused(document.source, "relation", link.source,
                                    exc.message) from exc
            existing = self._store.get_link(link.key)
            merged.append(existing if existing is not None else link)
        return merged

    def _check_decompositions(self, document: RequirementDocument,
                              incoming: dict[ItemId, TraceItem],
                              links: list[TraceLink]) -> None:
        parts: dict[ItemId, list[Requirement]] = defaultdict(list)
        for link in links:
            child = incoming.get(link.target)
            if (link.relation in DECOMPOSING and isinstance(child, Requirement)
                    and child.decomposition is not None):
                parts[link.source].append(child)
        for parent_id, children in parts.items():
            parent = incoming.get(parent_id) or self._store.get_item(parent_id)
            if not isinstance(parent, Requirement):
                continue
            origin_parts = [c for c in children if c.decomposition is not None
                            and c.decomposition.origin == parent.asil]
            if not origin_parts:
                continue
            try:
                validate_decomposition(parent.asil, [c.asil for c in origin_parts])
            except DomainError as exc:
                names = ", ".join(f"{c.id} {c.decomposition}" for c in origin_parts)
                raise ImportRefused(document.source, "decomposition", parent_id,
                                    f"{exc.message} [parts: {names}]") from exc


def _merged_artifact(existing: Artifact, incoming: Artifact) -> Artifact:
    """``existing`` as the file describes it, keeping what only edgedeploy recorded.

    A requirements tool exports a test by id and title; the digest of its stored report, who
    recorded it and attributes the file does not carry stay as recorded, so re-importing a
    file never drops evidence. A digest the file does give replaces the stored one (new bytes).
    """
    attributes = dict(existing.attributes)
    attributes.update(dict(incoming.attributes))
    return replace(existing, title=incoming.title or existing.title,
                   digest=incoming.digest or existing.digest,
                   attributes=tuple(attributes.items()))
