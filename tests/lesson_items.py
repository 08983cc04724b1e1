"""Shared by the per-module item tests: a lesson's item specs, its key, and one item's score.

Specs are read from the lesson as the grader reads them (literal arguments
of the item calls), and scores come from the real scorer.
"""

from __future__ import annotations

from pathlib import Path

import jupytext

from course.grading.score import score_item
from course.items.spec import ItemSpec, specs_from_source
from course.keys import ModuleKey, load_key

ROOT = Path(__file__).resolve().parent.parent


def lesson_specs(module: str) -> dict[str, ItemSpec]:
    """Return every item of ``notebooks/<module>.md`` (practice included), by id."""
    out: dict[str, ItemSpec] = {}
    for cell in jupytext.read(ROOT / "notebooks" / f"{module}.md").cells:
        if cell.cell_type == "code":
            for spec in specs_from_source(cell.source, where=module):
                out[spec.id] = spec
    return out


def module_key(module: str) -> ModuleKey:
    """Return ``autograde/keys/<module>.yaml``."""
    return load_key(ROOT / "autograde" / "keys" / f"{module}.yaml")


def points(specs: dict[str, ItemSpec], key: ModuleKey, item_id: str, value: object) -> float:
    """Return the points the real scorer gives ``value`` as an answer to ``item_id``."""
    spec = specs[item_id]
    return score_item(spec, key.items[item_id], {"kind": spec.kind, "value": value}).points
