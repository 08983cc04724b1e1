"""LimitOutputBytes: cap the size of outputs in bytes, not lines."""

from __future__ import annotations

import json
from typing import Any

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

__all__ = ["LimitOutputBytes", "output_bytes"]

_TEXT = "text/plain"


def _size(value: Any) -> int:
    """Return the UTF-8 size of a text value, or of the JSON of any other value."""
    if isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return sum(_size(v) for v in value)
    return len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass"))


def output_bytes(output: NotebookNode) -> int:
    """Return the size in bytes of one output: its text, data, traceback and metadata.

    Parameters
    ----------
    output : NotebookNode
        A code cell output of any type.

    Returns
    -------
    int
        Bytes of the stream text, of every representation in ``data``, of
        ``ename``, ``evalue`` and the traceback, plus the JSON of ``metadata``.
    """
    kind = output.get("output_type")
    if kind == "stream":
        total = _size(output.get("text", ""))
    elif kind in {"display_data", "execute_result"}:
        total = sum(_size(v) for v in (output.get("data") or {}).values())
    elif kind == "error":
        total = sum(_size(output.get(k, "")) for k in ("ename", "evalue", "traceback"))
    else:
        total = _size({k: v for k, v in output.items() if k != "metadata"})
    if output.get("metadata"):
        total += _size(output["metadata"])
    return total


def _cut_text(value: Any, budget: int) -> str:
    """Return at most ``budget`` bytes of a text value (whole characters only)."""
    text = "".join(value) if isinstance(value, list) else str(value)
    head = text[: max(budget, 0)]  # a character is at least one byte
    data = head.encode("utf-8", "surrogatepass")
    if len(data) <= budget:
        return head
    return data[:budget].decode("utf-8", "ignore")


def _protected(cell: NotebookNode) -> bool:
    """Return whether the course's scoring step wrote this cell's outputs.

    Grade cells (their outputs are the score) and item cells (a rendering of
    the snapshotted answer). Their nbgrader metadata comes from the trusted
    source notebook (``SanitizeCells``), so a student cannot claim this.
    """
    meta = cell.metadata.get("nbgrader")
    if not isinstance(meta, dict):
        return False
    grade_id = meta.get("grade_id")
    return bool(utils.is_grade(cell)) or (isinstance(grade_id, str) and grade_id.endswith("-item"))


class LimitOutputBytes(NbGraderPreprocessor):
    """Cut outputs that are too large in bytes, with a visible note where output was cut.

    nbgrader's ``LimitOutput`` counts lines: one ``print`` of 100 MB on one
    line passes it, and the graded notebook and the feedback page grow to
    100 MB. This step, run after ``LimitOutput``, caps each output at
    ``max_output_bytes`` and all outputs of the notebook together at
    ``max_notebook_output_bytes``. Stream text and plain-text data are cut;
    rich data (HTML, images, JSON, ...) of an output that is too large is
    dropped and replaced by its plain text, cut; an error's value and
    traceback are cut. Each cut output ends with a note ("Output cut: N bytes
    over the limit of L bytes ..."), and outputs dropped once the notebook's
    budget is spent are summed up in one note per cell.

    The outputs the course's scoring step wrote are never cut and do not use
    the notebook's budget: those of grade cells (nbgrader reads the score
    from them) and of item cells (``grade_id`` ending ``-item``). Cell
    metadata is trusted here because ``SanitizeCells`` restored it from the
    source notebook.
    """

    max_output_bytes = Integer(
        100_000,
        help="Largest size of one output, in bytes (0 or less: no limit).",
    ).tag(config=True)

    max_notebook_output_bytes = Integer(
        2_000_000,
        help="Largest size of all outputs of a notebook together, in bytes, not counting the "
        "outputs of grade and item cells (0 or less: no limit).",
    ).tag(config=True)

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        """Cut the outputs of every cell but grade and item cells.

        Parameters
        ----------
        nb : NotebookNode
            The executed notebook.
        resources : ResourcesDict
            nbconvert's resources (not used).

        Returns
        -------
        tuple
            The notebook, with oversized outputs cut, and the resources.
        """
        per_output = self.max_output_bytes if self.max_output_bytes > 0 else None
        remaining = self.max_notebook_output_bytes if self.max_notebook_output_bytes > 0 else None
        for cell in nb.cells:
            if cell.get("cell_type") != "code" or _protected(cell):
                continue
            outputs, remaining = self._limit_cell(cell.get("outputs") or [], per_output, remaining)
            cell.outputs = outputs
        return nb, resources

    def _limit_cell(
        self, outputs: list, per_output: int | None, remaining: int | None
    ) -> tuple[list, int | None]:
        kept = []
        dropped = dropped_bytes = 0
        for output in outputs:
            size = output_bytes(output)
            limits = [(per_output, "per output")] if per_output is not None else []
            if remaining is not None:
                limits.append((remaining, "for all output of the notebook"))
            allowed, which = min(limits, default=(None, ""), key=lambda lim: lim[0])
            if allowed is None or size <= allowed:
                kept.append(output)
            elif allowed <= 0:
                dropped += 1
                dropped_bytes += size
                continue
            else:
                limit = per_output if which == "per output" else self.max_notebook_output_bytes
                note = (
                    f"Output cut: {size - allowed:,} bytes over the limit of {limit:,} bytes "
                    f"{which}."
                )
                output = self._cut(output, allowed, note)
                size = allowed
                kept.append(output)
            if remaining is not None:
                remaining = max(remaining - size, 0)
        if dropped:
            note = (
                f"Output cut: {dropped_bytes:,} bytes in {dropped} output(s) over the limit of "
                f"{self.max_notebook_output_bytes:,} bytes for all output of the notebook."
            )
            kept.append(new_output("stream", name="stdout", text=note + "\n"))
            self.log.warning(note)
        return kept, remaining

    def _cut(self, output: NotebookNode, budget: int, note: str) -> NotebookNode:
        self.log.warning(note)
        kind = output.get("output_type")
        if kind == "stream":
            text = _cut_text(output.get("text", ""), budget)
            sep = "" if not text or text.endswith("\n") else "\n"
            return new_output(
                "stream", name=output.get("name", "stdout"), text=f"{text}{sep}{note}\n"
            )
        if kind in {"display_data", "execute_result"}:
            plain = (output.get("data") or {}).get(_TEXT, "")
            dropped = sorted(k for k in (output.get("data") or {}) if k != _TEXT)
            text = _cut_text(plain, budget)
            if dropped:
                note += f" Not shown: {', '.join(dropped)}."
            sep = "" if not text or text.endswith("\n") else "\n"
            fields: dict[str, Any] = {"data": {_TEXT: f"{text}{sep}{note}"}}
            if kind == "execute_result":
                fields["execution_count"] = output.get("execution_count")
            return new_output(kind, **fields)
        if kind == "error":
            ename = _cut_text(output.get("ename", ""), 200)
            evalue = _cut_text(output.get("evalue", ""), budget // 2)
            lines, used = [], 0
            for line in output.get("traceback") or []:
                line = line if isinstance(line, str) else str(line)
                size = _size(line)
                if used + size > budget // 2:
                    if budget // 2 > used:
                        lines.append(_cut_text(line, budget // 2 - used))
                    break
                lines.append(line)
                used += size
            return new_output("error", ename=ename, evalue=evalue, traceback=[*lines, note])
        return new_output("stream", name="stdout", text=note + "\n")
