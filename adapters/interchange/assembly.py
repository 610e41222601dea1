"""Checks every reader applies before a file becomes a ``RequirementDocument``.

An import is all or nothing: the readers collect items and links here with the place they came
from, and :meth:`DocumentAssembly.finish` either returns a consistent document or raises
``ImportRefused`` naming the first problem. Keeping these rules in one place means ReqIF, CSV
and YAML refuse the same things with the same words.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from edgedeploy.application.errors import ImportRefused
from edgedeploy.application.ports.interchange import Diagnostic, RequirementDocument
from edgedeploy.domain.errors import DomainError
from edgedeploy.domain.requirements import Artifact, ItemId, Requirement, item_kind
from edgedeploy.domain.traceability import InvalidLink, Relation, TraceLink, check_link_kinds


@dataclass(frozen=True, slots=True)
class PendingLink:
    """A relation as the file states it, before its ends are known to exist."""

    source: str
    relation: Relation
    target: str
    location: str
    item: str | None


@dataclass(slots=True)
class DocumentAssembly:
    """Collects what one file declares and checks it as a whole.

    Args:
        name: the file name, used in every message.
        strict_link_kinds: refuse a link whose relation does not fit its ends (CSV, YAML:
            the user typed it); otherwise drop it with a diagnostic (ReqIF: tools give
            relation types looser meanings than ours).
    """

    name: str
    strict_link_kinds: bool = True
    requirements: list[Requirement] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _links: list[PendingLink] = field(default_factory=list)
    _seen: dict[str, str] = field(default_factory=dict)
    _parents: dict[str, tuple[str, str]] = field(default_factory=dict)

    def refuse(self, location: str, item: str | None, problem: str) -> ImportRefused:
        """The error to raise for a problem found at ``location``."""
        return ImportRefused(self.name, location, item, problem)

    @contextmanager
    def guard(self, location: str, item: str | None) -> Iterator[None]:
        """Turn a domain rule broken while building an item into a refusal naming its place."""
        try:
            yield
        except DomainError as exc:
            raise self.refuse(location, item, exc.message) from None

    def warn(self, location: str, item: str | None, message: str) -> None:
        """Record something the user should know that does not stop the import."""
        self.diagnostics.append(Diagnostic(location=location, message=message, item=item))

    def _claim(self, item_id: str, location: str) -> None:
        first = self._seen.get(item_id)
        if first is not None:
            raise self.refuse(location, item_id,
                              f"duplicate identifier '{item_id}' (first defined at {first})")
        self._seen[item_id] = location

    def add_requirement(self, requirement: Requirement, location: str) -> None:
        """Add a requirement; its ``parent`` is checked when the file is complete."""
        self._claim(requirement.id, location)
        self.requirements.append(requirement)
        if requirement.parent is not None:
            self._parents[requirement.id] = (requirement.parent, location)

    def add_artifact(self, artifact: Artifact, location: str) -> None:
        """Add a test, dataset, model or deployment the file declares."""
        self._claim(artifact.id, location)
        self.artifacts.append(artifact)

    def add_link(self, link: PendingLink) -> None:
        """Add a relation; its ends are checked when the file is complete."""
        self._links.append(link)

    def finish(self, title: str = "") -> RequirementDocument:
        """The checked document.

        Raises:
            ImportRefused: a relation or parent names an item the file does not hold, a
                parent chain loops, or a link breaks a rule of the trace graph.
        """
        self._check_parents()
        return RequirementDocument(
            source=self.name, requirements=tuple(self.requirements),
            artifacts=tuple(self.artifacts), links=tuple(self._checked_links()),
            diagnostics=tuple(self.diagnostics), title=title)

    def _check_parents(self) -> None:
        requirement_ids = {r.id for r in self.requirements}
        for child, (parent, location) in self._parents.items():
            if parent not in requirement_ids:
                raise self.refuse(location, child,
                                  f"parent '{parent}' is not a requirement in this file")
        for start, (_, location) in self._parents.items():
            chain = [start]
            node = start
            while node in self._parents:
                node = self._parents[node][0]
                if node == start:
                    raise self.refuse(location, start,
                                      "parent chain loops: " + " -> ".join([*chain, start]))
                if node in chain:
                    break
                chain.append(node)

    def _checked_links(self) -> list[TraceLink]:
        items: dict[str, Requirement | Artifact] = {r.id: r for r in self.requirements}
        items.update((a.id, a) for a in self.artifacts)
        links: dict[tuple[str, Relation, str], TraceLink] = {}
        for pending in self._links:
            for end, role in ((pending.source, "source"), (pending.target, "target")):
                if end not in items:
                    raise self.refuse(
                        pending.location, pending.item,
                        f"dangling {pending.relation} relation: its {role} '{end}' does not "
                        "exist in this file")
            with self.guard(pending.location, pending.item):
                link = TraceLink(ItemId(pending.source), pending.relation,
                                 ItemId(pending.target))
            try:
                check_link_kinds(link, item_kind(items[link.source]),
                                 item_kind(items[link.target]))
            except InvalidLink as exc:
                if self.strict_link_kinds:
                    raise self.refuse(pending.location, pending.item, exc.message) from None
                self.warn(pending.location, pending.item, f"link not imported: {exc.message}")
                continue
            if link.key in links:
                self.warn(pending.location, pending.item,
                          f"{link.source} {link.relation} {link.target} is stated more than "
                          "once; imported once")
                continue
            links[link.key] = link
        return list(links.values())
