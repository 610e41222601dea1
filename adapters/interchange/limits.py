"""Size limits on requirement imports, checked while reading rather than after.

A ``.reqifz`` of a few hundred kilobytes can unpack to gigabytes, and one attribute value can
hold hundreds of megabytes; both must be refused before they are held in memory whole. The
defaults fit the largest real exports seen (DOORS modules of tens of thousands of objects)
with room to spare; ``interchange.*`` settings change them.
"""

from __future__ import annotations

from edgedeploy.application.ports.interchange import MIB, ImportLimits


def shown(size: int) -> str:
    """A byte count as people read it in a refusal."""
    if size >= MIB:
        return f"{size / MIB:g} MiB"
    if size >= 1024:
        return f"{size / 1024:g} KiB"
    return f"{size} bytes"


__all__ = ["MIB", "ImportLimits", "shown"]
