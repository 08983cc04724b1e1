"""nbgrader's autograde for the fast path: both passes in one read and one write.

nbgrader's ``Autograde`` converter runs two passes per notebook: the sanitize
steps, whose result it writes to ``autograded/``, and the autograde steps,
which read that file back. Without a kernel those file round trips (a JSON
encoding, a write, a read, a parse and a schema check) are a large part of a
student's time. :class:`OnePassAutograde` hands the sanitized notebook to the
second pass in memory, in the form the file would have given it
(``strip_transient``, as ``nbformat.writes`` does, then ``from_dict``, as
``nbformat.reads`` does), and writes ``autograded/`` once. Every step, its
order, its resources and the checks that fail a notebook (one validation at
the end of each pass, nbconvert's ``optimistic_validation``) are nbgrader's.
"""

from __future__ import annotations

import copy
import datetime
import os
from typing import Any

import nbformat
from nbconvert.exporters import Exporter, NotebookExporter
from nbconvert.exporters.exporter import ResourcesDict
from nbformat import validator
from nbformat.v4.rwbase import strip_transient
from nbgrader import utils
from nbgrader.converters import Autograde
from traitlets import Bool, Type

__all__ = ["OnePassAutograde", "OnePassExporter", "autograde"]


class OnePassExporter(NotebookExporter):
    """``NotebookExporter`` for notebooks it owns: no defensive copies, the node on request.

    nbconvert copies the notebook twice before its preprocessors see it (in
    ``from_notebook_node`` and ``_preprocess``), to protect a caller that
    keeps using its notebook; nbformat's ``normalize`` then copies it once
    more. Here every notebook is the converter's own, read from the file for
    this pass or handed on by the previous one, so only ``normalize``'s copy
    is made. The steps, their order, the validation and the text written are
    nbconvert's.
    """

    keep_node = Bool(False, help="Return the notebook node, not its JSON text.")

    def from_notebook_node(
        self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[Any, dict[str, Any]]:
        resources = self._init_resources(resources)
        if "language" in nb["metadata"]:
            resources["language"] = nb["metadata"]["language"].lower()
        nb, resources = self._preprocess(nb, resources)
        meta = resources.get("metadata", {}) if resources is not None else {}
        self._nb_metadata[os.path.join(meta.get("path", ""), meta.get("name", ""))] = nb.metadata
        if self.keep_node:
            return nb, resources
        # NotebookExporter's text.
        if self.nbformat_version != nb.nbformat:
            resources["output_suffix"] = f".v{self.nbformat_version}"
        else:
            resources["output_suffix"] = ".nbconvert"
        # nbformat.writes without its schema check, which only logs: the pass ended with one.
        output = nbformat.versions[self.nbformat_version].writes_json(
            nbformat.convert(nb, self.nbformat_version)
        )
        if not output.endswith("\n"):
            output = output + "\n"
        return output, resources

    def _preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        resources = copy.deepcopy(resources)
        _, nb = validator.normalize(nb)  # a copy: the one copy made
        for preprocessor in self._preprocessors:
            nb, resources = preprocessor(nb, resources)
            if not self.optimistic_validation:
                self._validate_preprocessor(nb, preprocessor)
        if self.optimistic_validation and self._preprocessors:
            self._validate_preprocessor(nb, self._preprocessors[-1])
        return nb, resources


def _metadata(path: str) -> ResourcesDict:
    """``resources["metadata"]`` as ``Exporter.from_filename`` sets it for a file written now."""
    folder, basename = os.path.split(path)
    now = datetime.datetime.now(tz=datetime.UTC)
    return ResourcesDict(
        name=os.path.splitext(basename)[0], path=folder, modified_date=now.strftime("%B %-d, %Y")
    )


class OnePassAutograde(Autograde):
    """nbgrader's ``Autograde`` whose second pass takes the first's notebook in memory."""

    exporter_class = Type(OnePassExporter, klass=Exporter)

    def convert_single_notebook(self, notebook_filename: str) -> None:
        exporter: OnePassExporter = self.exporter
        self.log.info("Sanitizing %s", notebook_filename)
        self._sanitizing = True
        self._init_preprocessors()
        resources = self.init_single_notebook_resources(notebook_filename)
        exporter.keep_node = True
        try:
            sanitized, _ = exporter.from_filename(notebook_filename, resources=resources)
        finally:
            exporter.keep_node = False
        # What nbgrader's second pass would read back from the file the first one wrote,
        # in the folder writing it would have chosen.
        sanitized = nbformat.from_dict(strip_transient(sanitized))
        info = resources["nbgrader"]
        self.writer.build_directory = self._format_dest(info["assignment"], info["student"])

        autograded = os.path.join(self.writer.build_directory, os.path.basename(notebook_filename))
        self.log.info("Autograding %s", autograded)
        self._sanitizing = False
        self._init_preprocessors()
        try:
            with utils.setenv(NBGRADER_EXECUTION="autograde"):
                resources = self.init_single_notebook_resources(autograded)
                resources["metadata"] = _metadata(autograded)
                output, resources = exporter.from_notebook_node(sanitized, resources=resources)
                self.write_single_notebook(output, resources)
        finally:
            self._sanitizing = True


def autograde(api: Any, assignment_id: str, student_id: str) -> dict[str, Any]:
    """``NbGraderAPI.autograde(assignment_id, student_id, force=True, create=True)``, one pass.

    Parameters
    ----------
    api : nbgrader.apps.NbGraderAPI
        The API object whose configuration and course folder to use.
    assignment_id, student_id : str
        Which module and student.

    Returns
    -------
    dict
        nbgrader's result: ``success``, and ``log`` and ``error`` when there are.
    """
    with utils.temp_attrs(api.coursedir, assignment_id=assignment_id, student_id=student_id):
        app = OnePassAutograde(coursedir=api.coursedir, parent=api)
        app.force = True
        app.create_student = True
        return dict(utils.capture_log(app))
