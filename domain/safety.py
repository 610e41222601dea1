"""ASIL levels and ISO 26262-9 ASIL decomposition."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from edgedeploy.domain.errors import InvariantViolation


class InvalidAsil(InvariantViolation):
    """A text does not name an ASIL."""

    code = "ASIL_INVALID"


class InvalidDecomposition(InvariantViolation):
    """An ASIL decomposition breaks ISO 26262-9 clause 5."""

    code = "ASIL_DECOMPOSITION_INVALID"


_ORDER = {"QM": 0, "A": 1, "B": 2, "C": 3, "D": 4}


class ASIL(enum.StrEnum):
    """Automotive Safety Integrity Level, ordered QM < A < B < C < D."""

    QM = "QM"
    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def rank(self) -> int:
        """Numeric rank used by ISO 26262-9 decomposition arithmetic (QM=0 … D=4)."""
        return _ORDER[self.value]

    # str already defines every comparison, so all four are overridden explicitly (letters
    # would order QM after D).
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ASIL):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, ASIL):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, ASIL):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, ASIL):
            return NotImplemented
        return self.rank >= other.rank

    def __hash__(self) -> int:
        return str.__hash__(self)

    @property
    def is_safety_relevant(self) -> bool:
        """True for A to D: QM requirements carry no ASIL-specific obligations."""
        return self is not ASIL.QM

    @classmethod
    def parse(cls, text: str) -> ASIL:
        """Read an ASIL as tools write it: ``C``, ``ASIL C``, ``ASIL-C``, ``asil_c``, ``QM``.

        Raises:
            InvalidAsil: the text names no ASIL.
        """
        cleaned = re.sub(r"^\s*ASIL[\s_\-]*", "", text.strip(), flags=re.IGNORECASE).upper()
        cleaned = re.sub(r"\(.*\)$", "", cleaned).strip()
        try:
            return cls(cleaned)
        except ValueError:
            raise InvalidAsil(
                f"'{text}' is not an ASIL; expected one of QM, A, B, C, D"
            ) from None

    @classmethod
    def from_rank(cls, rank: int) -> ASIL:
        """Inverse of :attr:`rank`."""
        for level in cls:
            if level.rank == rank:
                return level
        raise InvalidAsil(f"no ASIL has rank {rank}")


@dataclass(frozen=True, slots=True)
class DecomposedAsil:
    """One part of a decomposition, written ``C(D)``: level C, decomposed from D."""

    level: ASIL
    origin: ASIL

    def __str__(self) -> str:
        return f"{self.level.value}({self.origin.value})"

    @classmethod
    def parse(cls, text: str) -> DecomposedAsil:
        """Read ``C(D)`` or ``QM(D)``.

        Raises:
            InvalidAsil: the text is not of that form.
        """
        pattern = r"\s*(?:ASIL[\s_\-]*)?(QM|[A-D])\s*\(\s*(?:ASIL[\s_\-]*)?([A-D])\s*\)\s*"
        match = re.fullmatch(pattern, text, flags=re.IGNORECASE)
        if match is None:
            raise InvalidAsil(f"'{text}' is not a decomposed ASIL such as C(D)")
        return cls(ASIL(match.group(1).upper()), ASIL(match.group(2).upper()))


def allowed_decompositions(origin: ASIL) -> tuple[tuple[ASIL, ASIL], ...]:
    """The two-way decompositions ISO 26262-9:2018 figure 2 allows for ``origin``.

    The two parts' ranks must add up to the origin's rank (D=4 -> C+A, B+B, D+QM), and only
    A to D can be decomposed.
    """
    if not origin.is_safety_relevant:
        return ()
    pairs = []
    for high in range(origin.rank, -1, -1):
        low = origin.rank - high
        if low > high:
            break
        pairs.append((ASIL.from_rank(high), ASIL.from_rank(low)))
    return tuple(pairs)


def validate_decomposition(origin: ASIL, parts: tuple[ASIL, ...] | list[ASIL]) -> None:
    """Check an ASIL decomposition of ``origin`` into independent ``parts``.

    Implements ISO 26262-9 clause 5.4: a requirement is decomposed into exactly two redundant,
    sufficiently independent requirements whose ASILs add up to the original one
    (D -> C(D)+A(D) | B(D)+B(D) | D(D)+QM(D); C -> B(C)+A(C) | C(C)+QM(C); B -> A(B)+A(B) |
    B(B)+QM(B); A -> A(A)+QM(A)). A decomposition may be decomposed again, part by part.

    Raises:
        InvalidDecomposition: naming the rule that was broken.
    """
    if not origin.is_safety_relevant:
        raise InvalidDecomposition(
            "QM cannot be decomposed: decomposition applies to ASIL A to D (ISO 26262-9 5.4.1)"
        )
    if len(parts) != 2:
        raise InvalidDecomposition(
            f"an ASIL decomposition yields exactly two independent parts, got {len(parts)} "
            "(ISO 26262-9 5.4.2)"
        )
    ranked = tuple(sorted(parts, reverse=True))
    if ranked not in allowed_decompositions(origin):
        allowed = ", ".join(f"{a}({origin})+{b}({origin})" for a, b in
                            allowed_decompositions(origin))
        raise InvalidDecomposition(
            f"{ranked[0]}({origin})+{ranked[1]}({origin}) is not a decomposition of ASIL "
            f"{origin}: the parts must add up to it (allowed: {allowed}; ISO 26262-9 5.4.4)"
        )

