"""Single choice: pick exactly one option."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..answers import AnswerBook
from ._base import DOC_SNIPPETS, Item, Options, Practice, doc_subst

__all__ = ["SingleChoice"]


@doc_subst(DOC_SNIPPETS)
class SingleChoice(Item):
    """A question with one answer, chosen from radio buttons.

    The answer is saved as the chosen option's id, such as ``"b"``.

    Parameters
    ----------
    {id}
    {prompt}
    options : mapping or list of (id, text)
        At least two options. Ids are short lowercase ids such as ``"a"``.
    {points}
    practice : mapping, optional
        Makes this a practice item with instant feedback:
        ``{"answer": "b", "feedback": {"a": "...", ...}, "explanation": "..."}``.
    {shuffle}
    {seed}
    {book}

    Examples
    --------
    In a lesson, after ``start(...)`` (setting ``value`` saves, as a click does)::

        q = SingleChoice(id="m00-x", prompt="Pick one",
                         options={"a": "Apples", "b": "Pears"}, points=1)
        q.value = "b"
    """

    kind = "single_choice"

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
        self._radio = widgets.RadioButtons(
            options=[(self.spec.options[oid], oid) for oid in self.order],
            value=None,
            description="Your answer",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="auto"),
        )
        self._radio.observe(self._controls_changed, names="value")
        return [self._radio]

    def _read_controls(self) -> Any:
        return self._radio.value

    def _write_controls(self, value: Any) -> None:
        self._radio.value = value
