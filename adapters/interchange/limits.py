"""Size limits on requirement imports, checked while reading rather than after.

A ``.reqifz`` of a few hundred kilobytes can unpack to gigabytes, and one attribute value can
hold hundreds of megabytes; both must be refused before they are held in memory whole. The
defaults fit the largest real exports seen (DOORS modules of tens of thousands of objects)
with room to spare; ``interchange.*`` settings change them.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """How large one requirements import may be.

    Attributes:
        max_member_bytes: one ``.reqif`` inside a ``.reqifz`` archive, unpacked.
        max_attribute_bytes: one attribute value (UTF-8), rich text included.
        max_import_bytes: the whole import: the file as sent and everything it unpacks to.
        max_objects: SPEC-OBJECTs in the import, over all files of an archive.
    """

    max_member_bytes: int = 100 * MIB
    max_attribute_bytes: int = 2 * MIB
    max_import_bytes: int = 200 * MIB
    max_objects: int = 100_000

    def __post_init__(self) -> None:
        for name in ("max_member_bytes", "max_attribute_bytes", "max_import_bytes",
                     "max_objects"):
            if getattr(self, name) < 1:
                raise ValueError(f"interchange.{name} must be at least 1")


def shown(size: int) -> str:
    """A byte count as people read it in a refusal."""
    if size >= MIB:
        return f"{size / MIB:g} MiB"
    if size >= 1024:
        return f"{size / 1024:g} KiB"
    return f"{size} bytes"
