"""What a grading step needs to know: the course folder, the item specs, the keys.

Specs are read from the trusted source notebook in ``source/`` (never from the
submission), and keys from the course's grader-side key folder. Both are
parsed from bytes read once, and cached by those bytes, never by a file's
name and modification time: what is parsed is exactly what was read (and, for
a key, hashed and checked against the key manifest), and an edit that keeps a
file's modification time is never missed.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from ..items.spec import ItemSpec, specs_from_source
from ..keys import ModuleKey, parse_key_bytes

__all__ = [
    "coursedir_of",
    "load_module_key",
    "parse_key",
    "source_notebook",
    "source_specs",
    "specs_from_notebook",
    "written_ids",
]


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
def _specs(name: str, data: bytes) -> dict[str, ItemSpec]:
    nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    specs: dict[str, ItemSpec] = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            for spec in specs_from_source(cell.source, where=name):
                specs[spec.id] = spec
    return specs


def specs_from_notebook(data: bytes, name: str) -> dict[str, ItemSpec]:
    """Return the item specs of a source notebook given as bytes, keyed by item id.

    Parameters
    ----------
    data : bytes
        The ``.ipynb`` file's contents.
    name : str
        The notebook's file name, used in error messages.
    """
    return dict(_specs(name, bytes(data)))


def source_specs(source_notebook: str | Path) -> dict[str, ItemSpec]:
    """Return the item specs of a source notebook, keyed by item id."""
    path = Path(source_notebook)
    return specs_from_notebook(path.read_bytes(), path.name)


@functools.lru_cache(maxsize=16)
def _source_notebook(path: str, data: bytes) -> NotebookNode:
    return nbformat.reads(data.decode("utf-8"), as_version=4)


def source_notebook(path: str | Path) -> NotebookNode:
    """Return the source notebook at ``path``, parsed once per content in this process.

    For the grading steps that compare each submission with the trusted source
    notebook. The file is read every time and parsed again only when its bytes
    changed, so an edited source is never served from memory. The notebook is
    shared between callers: read it, never change it (copy what you change).
    """
    text = str(path)
    with open(text, "rb") as fh:
        return _source_notebook(text, fh.read())


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
def _parse_key(path: str, data: bytes) -> ModuleKey:
    return parse_key_bytes(data, path)


def parse_key(data: bytes, path: str | Path) -> ModuleKey:
    """Return the key held in ``data``, read from the key file ``path``.

    The same checks as :func:`course.keys.load_key`, on bytes already read:
    the grader parses exactly the bytes it checked against the key manifest.

    Raises
    ------
    KeyFileError
        If the bytes are not a well-formed key; the message names the setting.
    """
    return _parse_key(str(path), bytes(data))


def load_module_key(keys_dir: str | Path, module: str) -> ModuleKey | None:
    """Return the key of ``module`` from ``keys_dir``, or None if there is none.

    For reading keys outside grading (the report, checks); grading uses the key
    that ``SnapshotAnswers`` checked against the key manifest.
    """
    path = Path(keys_dir) / f"{module}.yaml"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return parse_key(data, path)
