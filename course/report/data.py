"""Gather what the item-analysis report needs from a graded course folder.

Scores come from the exports' sources (:func:`course.export.collect_grades`
and :func:`course.export.collect_items`); which options each student picked
comes from the values the grader scored, as its per-item results record them
(:mod:`course.results`); options, correct answers,
skills and claims come from the source notebooks and the answer keys.
Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..export import collect_grades, collect_items
from ..grading.context import load_module_key, source_specs
from ..items.spec import ItemSpec
from ..keys import ModuleKey
from ..kinds import get_kind
from ..paths import CourseFolder
from ..results import iter_results

__all__ = ["ReportData", "load_report_data", "option_catalogue", "picks_of"]


@dataclass
class ReportData:
    """The tables of one report."""

    modules: list[str]
    grades: pd.DataFrame
    responses: pd.DataFrame
    items: pd.DataFrame
    picks: pd.DataFrame
    catalogue: pd.DataFrame
    tags: pd.DataFrame


def option_catalogue(module: str, spec: ItemSpec, answer: Any) -> list[dict[str, Any]]:
    """Return every option of a choice item, with its label and whether it is correct.

    Each kind lists its own options (:meth:`course.kinds.ItemKind.catalogue`):
    classification items have one per statement and category,
    ``"<statement>:<category>"``; kinds without options to pick have none.
    """
    kind = get_kind(spec.kind)
    rows = kind.catalogue(spec, answer) if kind is not None else []
    return [{"module": module, "item_id": spec.id, **row} for row in rows]


def picks_of(spec: ItemSpec, value: Any) -> list[str | None] | None:
    """Return the options a saved value picks (``[None]`` for none), or None if unusable.

    Only ids of the item's own options count as picks; anything else in the
    value (unknown ids, numbers, lists or objects where an id belongs) is
    left out, so any JSON value gives an answer and none raises.
    """
    kind = get_kind(spec.kind)
    return kind.picks(spec, value) if kind is not None else None


def _module_specs(course_dir: Path, module: str) -> dict[str, tuple[str, ItemSpec]]:
    """Return item id -> (notebook, spec) for the graded items of a module."""
    out = {}
    for path in CourseFolder(course_dir).source_notebooks(module):
        for item_id, spec in source_specs(path).items():
            if spec.graded:
                out[item_id] = (path.stem, spec)
    return out


def _tags(module: str, key: ModuleKey) -> list[dict[str, str]]:
    rows = []
    for entries in (key.items, key.written):
        for item_id, entry in entries.items():
            rows += [
                {"module": module, "item_id": item_id, "tag_type": "skill", "tag": s}
                for s in entry.skills
            ]
            rows += [
                {"module": module, "item_id": item_id, "tag_type": "claim", "tag": c}
                for c in entry.claims
            ]
    return rows


def load_report_data(course_dir: str | Path, modules: list[str]) -> ReportData:
    """Return the grades, per-item scores, option picks, option catalogue and tags."""
    course_dir = Path(course_dir)
    grades = collect_grades(course_dir, modules)
    responses = collect_items(course_dir, modules)
    keys_dir = CourseFolder(course_dir).keys_dir
    items, catalogue, picks, tags = [], [], [], []
    module_specs = {m: _module_specs(course_dir, m) for m in modules}
    for module in modules:
        specs = module_specs[module]
        key = load_module_key(keys_dir, module)
        if key is not None:
            tags += _tags(module, key)
        for item_id, (_, spec) in specs.items():
            answer = key.items[item_id].answer if key and item_id in key.items else None
            items.append(
                {"module": module, "item_id": item_id, "kind": spec.kind, "prompt": spec.prompt}
            )
            catalogue += option_catalogue(module, spec, answer)
    for results in iter_results(course_dir, modules):
        specs = module_specs[results.module]
        for row in results.items:
            found = specs.get(row["item_id"])
            if found is None or "value" not in row or row.get("kind") != found[1].kind:
                continue  # not an item of the source, or graded before values were recorded
            spec = found[1]
            # A value saved under another kind was scored as no answer (value None): no pick.
            for option in picks_of(spec, row["value"]) or []:
                picks.append(
                    {"student_id": results.student, "module": results.module,
                     "item_id": row["item_id"], "option": option}
                )  # fmt: skip
    return ReportData(
        modules=list(modules),
        grades=grades,
        responses=responses,
        items=pd.DataFrame(items, columns=["module", "item_id", "kind", "prompt"]),
        picks=pd.DataFrame(picks, columns=["student_id", "module", "item_id", "option"]),
        catalogue=pd.DataFrame(
            catalogue, columns=["module", "item_id", "option", "label", "correct"]
        ),
        tags=pd.DataFrame(tags, columns=["module", "item_id", "tag_type", "tag"]),
    )
