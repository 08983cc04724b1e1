"""Validate the data package: the checks ``course check`` runs on ``datasets/``.

Frictionless validates types, constraints and the single-column foreign keys
declared in ``datapackage.json``; this module adds what a descriptor cannot
say: every id in a ``;``-separated ``source_ids`` list resolves, every row
cites at least one source, only sources marked seen support facts, and no
table carries a verdict (verdicts are answers and live in the grader's keys).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import data

__all__ = ["validate_package"]

_CITING = {
    "events": ["source_ids"],
    "estimates": ["source_id"],
    "places": ["source_id"],
}


def _ids(cell: object) -> list[str]:
    if cell is None or cell is pd.NA or (isinstance(cell, float) and cell != cell):
        return []
    return [part.strip() for part in str(cell).split(";") if part.strip()]


def validate_package(folder: str | Path | None = None) -> list[str]:
    """Return every problem found in the data package (an empty list when it is valid).

    Parameters
    ----------
    folder : path-like, optional
        The folder holding ``datapackage.json`` (default: :func:`course.data.datasets_dir`).
    """
    folder = Path(folder) if folder else data.datasets_dir()
    problems: list[str] = []
    try:
        import frictionless
    except ImportError:
        return [
            "frictionless is not installed, so the data package could not be validated; "
            "install the instructor tools with "
            '`python3 -m pip install -e ".[instructor]"` in your clone'
        ]
    report = frictionless.Package(str(folder / "datapackage.json")).validate()
    if not report.valid:
        for task in report.tasks:
            for error in task.errors[:20]:
                problems.append(f"{task.name}: {error.message}")
        for error in report.errors[:20]:
            problems.append(f"datapackage.json: {error.message}")
    sources = data.load("sources", folder)
    known = set(sources["source_id"])
    seen = set(sources.loc[sources["seen"].fillna(False), "source_id"])
    for name, columns in _CITING.items():
        table = data.load(name, folder)
        id_column = table.columns[0]
        for _, row in table.iterrows():
            cited = [sid for col in columns for sid in _ids(row[col])]
            label = f"{name} {row[id_column]}"
            if not cited:
                problems.append(f"{label} cites no source")
            for sid in cited:
                if sid not in known:
                    problems.append(f"{label} cites {sid}, which is not in sources")
                elif sid not in seen:
                    problems.append(f"{label} rests on {sid}, which was not seen")
    for name in data.RESOURCES:
        verdicts = [c for c in data.load(name, folder).columns if "verdict" in c.lower()]
        if verdicts:
            problems.append(f"{name} has a verdict column {verdicts}: verdicts belong in keys")
    return problems
