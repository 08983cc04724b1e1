"""Computed answer: record a value the student computed in a code cell."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..answers import AnswerBook
from ..kinds.numeric import is_number
from ._base import DOC_SNIPPETS, Item, Practice, _esc, _status_html, doc_subst
from .numeric import format_number

__all__ = ["ComputedAnswer"]

NO_VALUE = "No value recorded yet: compute it in the cell above, then run this cell again."


@doc_subst(DOC_SNIPPETS)
class ComputedAnswer(Item):
    """Record the result of the student's own code; there is nothing to click.

    If ``value`` is a number, it is recorded (as a float) when the cell runs,
    unless the same value is already saved. If ``value`` is None (the code
    above has not stored a result yet), the value recorded earlier, if any,
    is shown and never overwritten. Anything else (text, True/False, NaN) is
    not recorded, and a note says why.

    Parameters
    ----------
    {id}
    prompt : str
        What the value is (plain text; it is escaped).
    value : number or None
        The computed value, usually a variable set in the cell above.
    unit : str, optional
        Its unit, such as ``"km"``.
    {points}
    practice : mapping, optional
        ``{"answer": 6, "tolerance": 0, "feedback": {"correct": "...", "incorrect": "..."},
        "explanation": "..."}``.
    {no_shuffle}
    {no_seed}
    {book}

    Notes
    -----
    This is the one item whose construction can write: recording ``value`` is
    what running its cell is for.
    """

    kind = "computed"

    def __init__(
        self,
        *,
        id: str,
        prompt: str,
        value: Any = None,
        unit: str | None = None,
        points: float | None = None,
        practice: Practice | None = None,
        shuffle: bool = True,
        seed: str | int | None = None,
        book: AnswerBook | None = None,
    ) -> None:
        spec_args = {
            "id": id,
            "prompt": prompt,
            "unit": unit,
            "points": points,
            "practice": practice,
            "shuffle": shuffle,
        }
        super().__init__(spec_args, seed=seed, book=book)
        if value is None:
            if self.value is None:
                self._status.value = _status_html("Not recorded yet")
            return
        if not is_number(value):
            self._set_note(
                f"The value given ({type(value).__name__} {value!r:.60}) is not a number, "
                "so it was not recorded. Store a number (for example int(...) or float(...)) "
                "in the cell above, then run this cell again."
            )
            return
        self.value = float(value)  # records it, unless the same value is already saved

    def _display_order(self) -> list[str]:
        return []

    def _extra(self) -> dict[str, Any] | None:
        return None

    def _build_controls(self) -> list[widgets.Widget]:
        self._shown = widgets.HTML(self._shown_html(None), layout=widgets.Layout(width="auto"))
        return [self._shown]

    def _shown_html(self, value: Any) -> str:
        if value is None:
            return f'<p class="ce-recorded">{_esc(NO_VALUE)}</p>'
        unit = f" {self.spec.unit}" if self.spec.unit else ""
        return (
            f'<p class="ce-recorded"><strong>Recorded value:</strong> '
            f"{_esc(format_number(value) + unit)}</p>"
        )

    def _read_controls(self) -> Any:  # pragma: no cover - there are no controls to read
        return self.value

    def _write_controls(self, value: Any) -> None:
        self._shown.value = self._shown_html(value)
