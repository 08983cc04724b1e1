"""SanitizeCells: repair tampered nbgrader metadata against the trusted source notebook."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from ..context import coursedir_of, source_notebook

__all__ = ["CARRY_KEY", "SanitizeCells"]

#: Notebook metadata key that carries the problems found in the sanitize pass to the
#: autograde pass (nbgrader gives each pass a fresh ``resources``).
CARRY_KEY = "course_sanitized"

#: nbgrader settings compared with the source, and how a problem message names them.
_FIELDS = {
    "grade": "grade cell",
    "solution": "answer cell",
    "locked": "read-only",
    "task": "task cell",
    "points": "points",
    "schema_version": "nbgrader format version",
}
_FLAGS = ("grade", "solution", "locked", "task")
_CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_UI_LOCKS = ("deletable", "editable")


def _show(value: Any, limit: int = 40) -> str:
    """Return a short, readable rendering of a (possibly hostile) metadata value."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value)) if abs(value) < 1e15 else f"{value:g}"
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(value: Any) -> str:
    """Return a grade id for a message: a string in quotes, anything else as it is."""
    return f"'{_show(value)}'" if isinstance(value, str) else _show(value)


def _kind(value: Any) -> str:
    """Return the JSON kind of a value, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _grade_id(cell: NotebookNode) -> Any:
    """Return the grade id in a cell's nbgrader metadata, if it has a readable one."""
    meta = cell.metadata.get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


def _same(got: Any, want: Any) -> bool:
    """Return whether a submitted value equals the source's (``True`` is not ``1``; NaN differs)."""
    if isinstance(got, bool) or isinstance(want, bool):
        return got is want
    if isinstance(got, int | float) and isinstance(want, int | float):
        return got == want
    return type(got) is type(want) and got == want


def _set_cell_type(cell: NotebookNode, cell_type: str) -> None:
    """Turn ``cell`` into a valid cell of ``cell_type``, keeping its text."""
    cell.cell_type = cell_type
    if cell_type == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
        cell.pop("attachments", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


class SanitizeCells(NbGraderPreprocessor):
    """Make a submission's nbgrader metadata agree with the trusted source notebook.

    nbgrader trusts the metadata of the submitted notebook more than a hostile
    or careless student deserves. A pasted copy of a grade cell, a cell of the
    student's own marked as a grade cell, a grade id that is not in the
    assignment, metadata of the wrong JSON shape or a tampered
    ``schema_version`` make ``DeduplicateIds``, ``OverwriteCells`` (with
    ``add_missing_cells``) or ``CheckCellMetadata`` raise, and the student is
    left ungraded. This step compares the submission with
    ``source/<module>/<notebook>.ipynb`` and:

    - keeps exactly one cell per grade id of the source: the one with the
      source cell's id, else the one of the source's cell type that sits in
      the source's order (between the cells of the neighbouring grade ids),
      else the first;
    - gives every kept cell the source's nbgrader metadata (points, grade,
      solution, locked, task, schema_version, grade_id), the source's cell
      type (``cell_type`` in the metadata too) and the source's ``course``
      metadata;
    - turns every other cell with nbgrader metadata (copies, unknown or
      missing grade ids, unreadable metadata) into an ordinary unlocked cell
      of the student's, keeping its text, and strips ``course`` metadata from
      the student's cells;
    - gives a new id to every cell whose id is missing, invalid or taken by
      an earlier cell (nbformat 4.5 and later);
    - records one plain-language problem per repair in
      ``resources["course"]["problems"]``.

    Place it first in ``Autograde.sanitize_preprocessors``: before
    ``DeduplicateIds``, which keeps the *last* cell of a duplicated grade id
    (often the pasted copy), empties the others' metadata to ``{}`` (which
    then makes ``OverwriteCells`` raise ``KeyError: 'grade_id'``), and itself
    raises on a grade cell without a grade id or on metadata that is not a
    mapping. After this step ``DeduplicateIds`` finds nothing to do. It must
    also come before ``RestoreCells``, which then restores every source cell
    that no submitted cell could stand for (deleted or unreadable ones).

    nbgrader gives the autograde pass a fresh ``resources``, so the problems
    also travel in the notebook's metadata (:data:`CARRY_KEY`). List this
    step first in ``Autograde.autograde_preprocessors`` too: there, on the
    notebook the sanitize pass wrote to ``autograded/``, it only moves those
    problems into ``resources["course"]["problems"]``, which ``ScoreAnswers``
    extends and writes to the per-notebook results file. A value under that
    key in a submitted notebook is discarded.
    """

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        """Repair ``nb`` against the source notebook, or carry the problems found earlier.

        Parameters
        ----------
        nb : NotebookNode
            The notebook being graded.
        resources : ResourcesDict
            nbconvert's resources, with nbgrader's ``resources["nbgrader"]``.

        Returns
        -------
        tuple
            The notebook and the resources, with ``resources["course"]["problems"]``
            extended by one message per repair.
        """
        coursedir = coursedir_of(self)
        info = resources["nbgrader"]
        if self._written_by_grader(resources, coursedir, info):
            carried = nb.metadata.pop(CARRY_KEY, None)  # written by the sanitize pass
            found = carried.get("problems", []) if isinstance(carried, dict) else []
            problems = [p for p in found if isinstance(p, str)]
        else:
            if isinstance(nb.get("metadata"), dict):
                nb.metadata.pop(CARRY_KEY, None)  # never trusted from a submission
            source_path = (
                Path(coursedir.format_path(coursedir.source_directory, ".", info["assignment"]))
                / f"{info['notebook']}.ipynb"
            )
            source = source_notebook(source_path)  # shared: read only
            folder = resources.get("metadata", {}).get("path")
            raw_ids = (
                _raw_cell_ids(Path(folder) / f"{info['notebook']}.ipynb", len(nb.cells))
                if folder
                else None
            )
            problems = self.sanitize(nb, source, raw_ids=raw_ids)
            if problems:
                nb.metadata[CARRY_KEY] = {"problems": list(problems)}
                for problem in problems:
                    self.log.warning("%s/%s: %s", info["student"], info["assignment"], problem)
        bucket = resources.setdefault("course", {}).setdefault("problems", [])
        bucket.extend(p for p in problems if p not in bucket)
        return nb, resources

    @staticmethod
    def _written_by_grader(resources: ResourcesDict, coursedir: Any, info: dict) -> bool:
        """Return whether ``nb`` was read from ``autograded/`` (the sanitize pass's output)."""
        folder = resources.get("metadata", {}).get("path")
        if not folder:
            return False
        autograded = coursedir.format_path(
            coursedir.autograded_directory, info["student"], info["assignment"]
        )
        return Path(folder).resolve() == Path(autograded).resolve()

    def sanitize(
        self, nb: NotebookNode, source: NotebookNode, *, raw_ids: list[Any] | None = None
    ) -> list[str]:
        """Repair ``nb`` in place against ``source``; return one message per repair.

        Parameters
        ----------
        nb : NotebookNode
            The submitted notebook.
        source : NotebookNode
            The trusted source notebook of the same assignment.
        raw_ids : list, optional
            The cell ids as submitted, one per cell (nbformat's reader gives a
            missing or repeated id a random new one, and renames the *later*
            cell of a repeated id, which may be the original). Default: the
            ids of ``nb``.

        Returns
        -------
        list of str
            Plain-language problems, in the order of the submitted cells.
        """
        problems: list[str] = []
        if not isinstance(nb.get("metadata"), dict):
            problems.append("the notebook's metadata was unreadable; it was cleared")
            nb["metadata"] = NotebookNode()
        if raw_ids is None or len(raw_ids) != len(nb.cells):
            raw_ids = [cell.get("id") for cell in nb.cells]
        src_cells: dict[str, NotebookNode] = {}  # grade id -> source cell, in source order
        for cell in source.cells:
            meta = cell.metadata.get("nbgrader")
            if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str):
                src_cells.setdefault(meta["grade_id"], cell)
        order = list(src_cells)

        for n, cell in enumerate(nb.cells, start=1):
            found = cell.get("metadata")
            if not isinstance(found, dict):
                problems.append(
                    f"cell {n} had unreadable cell metadata ({_kind(found)} instead of a "
                    "mapping); it was cleared"
                )
                cell["metadata"] = NotebookNode()

        candidates: dict[str, list[int]] = {gid: [] for gid in order}
        for i, cell in enumerate(nb.cells):
            meta = cell.metadata.get("nbgrader")
            if (
                isinstance(meta, dict)
                and isinstance(meta.get("grade_id"), str)
                and (meta["grade_id"] in candidates)
            ):
                candidates[meta["grade_id"]].append(i)
        kept = self._choose(nb, raw_ids, src_cells, order, candidates)
        kept_index = {i: gid for gid, i in kept.items()}
        copies: set[int] = set()  # demoted copies of assignment cells

        for i, cell in enumerate(nb.cells):
            n = i + 1
            if i in kept_index:
                gid = kept_index[i]
                message = self._restore_settings(cell, src_cells[gid], gid, n)
                if message:
                    problems.append(message)
                continue
            if "nbgrader" in cell.metadata:
                cell.metadata.pop("course", None)  # part of the same repair
                if isinstance(_grade_id(cell), str) and _grade_id(cell) in src_cells:
                    copies.add(i)
                message = self._demote(cell, n, copy_of=src_cells)
                if message:
                    problems.append(message)
            elif "course" in cell.metadata:
                del cell.metadata["course"]
                problems.append(
                    f"cell {n} carried the course grader's own cell settings; they were removed"
                )

        problems += self._fix_cell_ids(nb, raw_ids, protected=set(kept_index), copies=copies)
        return problems

    @staticmethod
    def _choose(
        nb: NotebookNode,
        raw_ids: list[Any],
        src_cells: dict[str, NotebookNode],
        order: list[str],
        candidates: dict[str, list[int]],
    ) -> dict[str, int]:
        """Return, per source grade id with a candidate, the index of the cell to keep."""
        anchors = {gid: found[0] for gid, found in candidates.items() if len(found) == 1}
        kept = dict(anchors)
        for pos, gid in enumerate(order):
            found = candidates[gid]
            if len(found) < 2:
                continue
            src = src_cells[gid]
            same_id = [i for i in found if src.get("id") and raw_ids[i] == src.get("id")]
            found = same_id or found
            before = [anchors[g] for g in order[:pos] if g in anchors]
            after = [anchors[g] for g in order[pos + 1 :] if g in anchors]
            low = before[-1] if before else -1
            high = after[0] if after else len(nb.cells)
            in_order = [
                i for i in found if nb.cells[i].get("cell_type") == src.cell_type and low < i < high
            ]
            kept[gid] = (in_order or found)[0]
        return kept

    @staticmethod
    def _restore_settings(cell: NotebookNode, src: NotebookNode, gid: str, n: int) -> str | None:
        """Give a kept cell the source's settings; return a message if any had changed."""
        got = cell.metadata["nbgrader"]
        want = src.metadata["nbgrader"]
        changes = []
        for key, label in _FIELDS.items():
            if key not in want:
                continue
            default = False if key in _FLAGS else None
            value = got.get(key, default)
            if not _same(value, want[key]):
                shown = "missing" if key not in got else _show(value)
                changes.append(f"{label}: {shown} instead of {_show(want[key])}")
        actual = cell.get("cell_type")
        typed = got.get("cell_type", actual)
        if actual != src.cell_type or typed != src.cell_type:
            shown = _show(actual) if actual != src.cell_type else _show(typed)
            changes.append(f"cell type: {shown} instead of {src.cell_type}")

        meta = copy.deepcopy(want)
        meta["cell_type"] = src.cell_type
        if isinstance(got.get("checksum"), str):
            meta["checksum"] = got["checksum"]  # replaced from the gradebook by OverwriteCells
        cell.metadata["nbgrader"] = meta
        if actual != src.cell_type:
            _set_cell_type(cell, src.cell_type)
        if "course" in src.metadata:
            cell.metadata["course"] = copy.deepcopy(src.metadata["course"])
        else:
            cell.metadata.pop("course", None)
        if not changes:
            return None
        return (
            f"the assignment's cell '{gid}' (cell {n}) had its nbgrader settings changed "
            f"({'; '.join(changes)}); the assignment's settings were used"
        )

    @staticmethod
    def _demote(cell: NotebookNode, n: int, *, copy_of: dict[str, NotebookNode]) -> str | None:
        """Strip a cell's nbgrader metadata; return why, unless the metadata was empty."""
        meta = cell.metadata.pop("nbgrader")
        for key in _UI_LOCKS:
            cell.metadata.pop(key, None)
        kept = "it is kept as an ordinary cell of yours"
        if not isinstance(meta, dict):
            return (
                f"cell {n} had unreadable nbgrader settings ({_kind(meta)} instead of a "
                f"mapping); they were removed and {kept}"
            )
        gid = meta.get("grade_id")
        if isinstance(gid, str) and gid in copy_of:
            return (
                f"cell {n} is a copy of the assignment's cell '{_show(gid)}'; only the original "
                f"counts, and the copy is kept as an ordinary cell of yours"
            )
        if meta.get("grade"):
            name = "without a grade id" if gid is None else _quoted(gid)
            return (
                f"cell {n} was marked as a grade cell {name}, which is not in the assignment; "
                f"{kept} and earns no points"
            )
        if gid is None and not any(meta.get(flag) for flag in _FLAGS):
            return None  # nbgrader settings that say nothing
        name = "without a grade id" if gid is None else f"for {_quoted(gid)}"
        return (
            f"cell {n} had nbgrader settings {name}, which is not in the assignment; they were "
            f"removed and {kept}"
        )

    @staticmethod
    def _fix_cell_ids(
        nb: NotebookNode, raw_ids: list[Any], protected: set[int], copies: set[int]
    ) -> list[str]:
        """Give each cell its submitted id, or a fresh one if that is missing, invalid or taken.

        The kept nbgrader cells claim their ids first, then the other cells in
        order. A copy of an assignment cell that repeats the original's id gets
        a new id without a second problem (its copy was reported).
        """
        if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
            return []  # cell ids came with nbformat 4.5
        final: dict[int, str] = {}
        used: set[str] = set()
        for i in sorted(range(len(nb.cells)), key=lambda i: (i not in protected, i)):
            rid = raw_ids[i]
            if isinstance(rid, str) and _CELL_ID.match(rid) and rid not in used:
                final[i] = rid
                used.add(rid)
        problems = []
        for i, cell in enumerate(nb.cells):
            if i not in final:
                rid = raw_ids[i]
                repeated = isinstance(rid, str) and _CELL_ID.match(rid)
                if rid is None:
                    why = "had no cell id"
                elif repeated:
                    why = f"had the cell id '{rid}' of another cell"
                else:
                    why = f"had an invalid cell id ({_show(rid)})"
                k = i + 1
                while f"cell-{k}" in used:
                    k += len(nb.cells)
                final[i] = f"cell-{k}"
                used.add(final[i])
                if not (repeated and i in copies):
                    problems.append(f"cell {i + 1} {why}; it was given the new id '{final[i]}'")
            cell["id"] = final[i]
        return problems


def _raw_cell_ids(path: Path, count: int) -> list[Any] | None:
    """Return the cell ids of the notebook file as written, or None if they cannot be read."""
    try:
        cells = json.loads(path.read_bytes()).get("cells")
    except (OSError, ValueError, AttributeError, RecursionError):
        return None
    if not isinstance(cells, list) or len(cells) != count:
        return None
    return [cell.get("id") if isinstance(cell, dict) else None for cell in cells]
