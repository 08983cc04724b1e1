"""What a grading step needs to know: the course folder, the item specs, the keys.

Specs are read from the trusted source notebook in ``source/`` (never from the
submission), and keys from the course's grader-side key folder.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import nbformat

from ..items.spec import ItemSpec, specs_from_source
from ..keys import ModuleKey, load_key

__all__ = ["coursedir_of", "load_module_key", "source_specs", "written_ids"]


def coursedir_of(preprocessor: Any) -> Any:
    """Return nbgrader's CourseDirectory from a preprocessor's parents."""
    obj = preprocessor
    while obj is not None:
        coursedir = getattr(obj, "coursedir", None)
        if coursedir is not None:
            return coursedir
        obj = getattr(obj, "parent", None)
    raise RuntimeError(
        "The course grading step could not find nbgrader's course directory; it must run "
        "inside `nbgrader autograde` (or `course grade`)."
    )


@functools.lru_cache(maxsize=64)
def _specs(path: str, mtime: float) -> dict[str, ItemSpec]:
    nb = nbformat.read(path, as_version=4)
    specs: dict[str, ItemSpec] = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            for spec in specs_from_source(cell.source, where=Path(path).name):
                specs[spec.id] = spec
    return specs


def source_specs(source_notebook: str | Path) -> dict[str, ItemSpec]:
    """Return the item specs of a source notebook, keyed by item id."""
    path = Path(source_notebook)
    return dict(_specs(str(path), path.stat().st_mtime))


def written_ids(source_notebook: str | Path) -> dict[str, float]:
    """Return the manually graded written answers of a source notebook and their points."""
    nb = nbformat.read(str(source_notebook), as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution"):
            out[meta["grade_id"]] = float(meta.get("points", 0))
    return out


@functools.lru_cache(maxsize=64)
def _key(path: str, mtime: float) -> ModuleKey:
    return load_key(path)


def load_module_key(keys_dir: str | Path, module: str) -> ModuleKey | None:
    """Return the key of ``module`` from ``keys_dir``, or None if there is none."""
    path = Path(keys_dir) / f"{module}.yaml"
    if not path.exists():
        return None
    return _key(str(path), path.stat().st_mtime)
