"""Gather every benchmark's figures (docs/benchmarks/*.md) into docs/benchmarks.md.

Each benchmark writes its own page with the command that produced its figures; this keeps one
index for readers: `python benchmarks/collect.py`.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = ("trace", "interchange", "persistence", "optimize", "drift", "rollout")


def main() -> None:
    pages = sorted((ROOT / "docs" / "benchmarks").glob("*.md"),
                   key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else len(ORDER), p.stem))
    parts = ["# Benchmarks\n",
             "Every figure below was measured on a 2-core machine by the command quoted with it;",
             "ratios compare against baselines measured in the same run. Each section is also",
             "kept on its own page under `docs/benchmarks/`.\n"]
    for page in pages:
        text = page.read_text(encoding="utf-8").strip()
        lines = text.splitlines()
        # Demote every heading one level so each page becomes a section of the index.
        parts.append("\n".join("#" + line if line.startswith("#") else line for line in lines))
        parts.append("")
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(parts) + "\n", encoding="utf-8")
    print(f"wrote docs/benchmarks.md from {len(pages)} page(s)")


if __name__ == "__main__":
    main()
