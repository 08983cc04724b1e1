"""Multiple choice: select every option that applies."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..answers import AnswerBook
from ._base import Options, Practice, _Item, _unique_ids

__all__ = ["MultipleChoice"]


class MultipleChoice(_Item):
    """A question with several answers, one checkbox per option.

    The answer is saved as the list of checked option ids, in authored
    option order (``[]`` once every box is unchecked again).

    Parameters
    ----------
    id : str
        Stable item id.
    prompt : str
        The question (plain text; it is escaped).
    options : mapping or list of (id, text)
        At least two options.
    points : float, optional
        Points for a graded item (default 1). Practice items take no points.
    practice : mapping, optional
        ``{"answer": ["a", "c"], "feedback": {option id: text}, "explanation": "..."}``;
        feedback is shown for every checked option.
    shuffle : bool, default True
        Shuffle the options per student.
    seed : str, optional
        The shuffle seed (default ``"<user>:<item id>"``).
    book : AnswerBook, optional
        Where to save (default: the book set by :func:`course.items.start`).
    """

    kind = "multiple_choice"

    def __init__(
        self,
        *,
        id: str,
        prompt: str,
        options: Options,
        points: float | None = None,
        practice: Practice | None = None,
        shuffle: bool = True,
        seed: str | int | None = None,
        book: AnswerBook | None = None,
    ) -> None:
        spec_args = {
            "id": id,
            "prompt": prompt,
            "options": options,
            "points": points,
            "practice": practice,
            "shuffle": shuffle,
        }
        super().__init__(spec_args, seed=seed, book=book)

    def _build_controls(self) -> list[widgets.Widget]:
        self._boxes: dict[str, widgets.Checkbox] = {}
        for oid in self.order:
            box = widgets.Checkbox(
                value=False,
                description=self.spec.options[oid],
                indent=False,
                style={"description_width": "initial"},
                layout=widgets.Layout(width="auto"),
            )
            box.observe(self._controls_changed, names="value")
            self._boxes[oid] = box
        return [widgets.Label("Select all that apply:"), *self._boxes.values()]

    def _read_controls(self) -> Any:
        return [oid for oid in self.spec.options if self._boxes[oid].value]

    def _write_controls(self, value: Any) -> None:
        chosen = set(value or [])
        for oid, box in self._boxes.items():
            box.value = oid in chosen

    def _coerce(self, value: Any) -> Any:
        return _unique_ids(value, list(self.spec.options), "option")
