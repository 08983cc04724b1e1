"""Multiple choice: select every option that applies."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..answers import AnswerBook
from ._base import DOC_SNIPPETS, Item, Options, Practice, doc_subst

__all__ = ["MultipleChoice"]


@doc_subst(DOC_SNIPPETS)
class MultipleChoice(Item):
    """A question with several answers, one checkbox per option.

    The answer is saved as the list of checked option ids, in authored
    option order (``[]`` once every box is unchecked again).

    Parameters
    ----------
    {id}
    {prompt}
    options : mapping or list of (id, text)
        At least two options.
    {points}
    practice : mapping, optional
        ``{"answer": ["a", "c"], "feedback": {option id: text}, "explanation": "..."}``;
        feedback is shown for every checked option.
    {shuffle}
    {seed}
    {book}
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
