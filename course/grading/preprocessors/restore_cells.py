"""RestoreCells: put back cells a student deleted, before nbgrader checks them."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from ..context import coursedir_of, source_notebook

DELETED_NOTE = "This answer cell was deleted from the submission and has been restored empty."


class RestoreCells(NbGraderPreprocessor):
    """Re-insert every nbgrader cell of the source notebook missing from the submission.

    nbgrader's own ``add_missing_cells`` only restores a grade cell that
    follows another grade or solution cell; course grade cells follow
    read-only item cells, so this step restores any missing cell (read-only
    item cells, grade cells, instructions) at its original place, copied from
    the trusted source notebook. A deleted answer cell comes back empty, never
    with the source's solution. ``OverwriteCells`` then checks them as usual.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        coursedir = coursedir_of(self)
        source_path = (
            Path(coursedir.format_path(coursedir.source_directory, ".", info["assignment"]))
            / f"{info['notebook']}.ipynb"
        )
        source = source_notebook(source_path)  # shared: read only

        def grade_id(cell):
            return cell.metadata.get("nbgrader", {}).get("grade_id")

        present = {grade_id(c) for c in nb.cells if grade_id(c)}
        restored = []
        last_index = -1
        for cell in source.cells:
            gid = grade_id(cell)
            if not gid:
                continue
            if gid in present:
                last_index = next(i for i, c in enumerate(nb.cells) if grade_id(c) == gid)
                continue
            new = copy.deepcopy(cell)
            if utils.is_solution(cell):
                if cell.cell_type == "markdown":
                    new.source = DELETED_NOTE
                else:
                    new.source = f"# {DELETED_NOTE}"
            if new.cell_type == "code":
                new.outputs = []
                new.execution_count = None
            new["id"] = f"restored-{gid}"[:64]
            new.metadata["course"] = {**new.metadata.get("course", {}), "restored": True}
            nb.cells.insert(last_index + 1, nbformat.from_dict(new))
            last_index += 1
            present.add(gid)
            restored.append(gid)
        if restored:
            self.log.warning(
                "%s/%s: restored deleted cells %s", info["student"], info["assignment"], restored
            )
        return nb, resources
