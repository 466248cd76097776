"""README's layout section is the map a new contributor reads first: it must name every module and
package of the provider and every test tier, and nothing that is not there."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def layout_block() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1]
    return section.split("```", 2)[1].splitlines()


def listed_under(top: str) -> set[str]:
    """The names indented one level below the block's `top/` line, e.g. `specs` or `aws.py`."""
    names: set[str] = set()
    inside = False
    for line in layout_block():
        if re.match(r"^\S", line):
            inside = line.split()[0] == f"{top}/"
        elif inside and (found := re.match(r"^  (\S+)", line)):
            names.add(found.group(1).rstrip("/"))
    return names


def on_disk(folder: Path) -> set[str]:
    return {
        entry.name
        for entry in folder.iterdir()
        if not entry.name.startswith(("__", "."))
        and ((entry.is_dir() and (entry / "__init__.py").exists()) or entry.suffix == ".py")
    }


def test_every_provider_module_and_package_is_in_the_layout():
    assert listed_under("provider") == on_disk(REPO / "provider")


def test_every_test_tier_is_in_the_layout():
    tiers = {entry.name for entry in (REPO / "tests").iterdir() if entry.is_dir() and (entry / "__init__.py").exists()}
    assert listed_under("tests") == tiers
