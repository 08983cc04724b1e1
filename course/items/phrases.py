"""Phrase selection: select words and phrases in a passage."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..answers import AnswerBook
from ..kinds.phrases import passage_html, phrase_order
from ._base import DOC_SNIPPETS, Item, Options, Practice, _esc, doc_subst

__all__ = ["PhraseSelection"]


@doc_subst(DOC_SNIPPETS)
class PhraseSelection(Item):
    """Select phrases in a passage, one numbered checkbox per marked phrase.

    The passage is shown with each selectable phrase highlighted and numbered
    (``[1]``, ``[2]``…); the checkboxes below follow the same numbers, in
    passage order. The answer is saved as the list of selected phrase ids,
    in authored order.

    Parameters
    ----------
    {id}
    {prompt}
    passage : str
        The passage; every phrase must occur in it.
    phrases : mapping or list of (id, phrase)
        Two or more phrases taken word for word from the passage.
    source : str, optional
        Where the passage comes from, such as ``"¶9"``.
    {points}
    practice : mapping, optional
        ``{"answer": [phrase ids], "feedback": {phrase id: text}, "explanation": "..."}``.
    shuffle : bool, default True
        Accepted for a uniform signature; phrases always follow the passage.
    {no_seed}
    {book}
    """

    kind = "phrase_selection"

    def __init__(
        self,
        *,
        id: str,
        prompt: str,
        passage: str,
        phrases: Options,
        source: str | None = None,
        points: float | None = None,
        practice: Practice | None = None,
        shuffle: bool = True,
        seed: str | int | None = None,
        book: AnswerBook | None = None,
    ) -> None:
        spec_args = {
            "id": id,
            "prompt": prompt,
            "passage": passage,
            "phrases": phrases,
            "source": source,
            "points": points,
            "practice": practice,
            "shuffle": shuffle,
        }
        super().__init__(spec_args, seed=seed, book=book)

    def _display_order(self) -> list[str]:
        return phrase_order(self.spec)

    def _build_controls(self) -> list[widgets.Widget]:
        source = f" ({_esc(self.spec.source)})" if self.spec.source else ""
        passage = widgets.HTML(
            f"<p><strong>Passage{source}:</strong></p>"
            f'<blockquote class="ce-passage">{passage_html(self.spec)}</blockquote>',
            layout=widgets.Layout(width="auto"),
        )
        self._boxes: dict[str, widgets.Checkbox] = {}
        for n, pid in enumerate(self.order, start=1):
            box = widgets.Checkbox(
                value=False,
                description=f"{n}. {self.spec.options[pid]}",
                indent=False,
                style={"description_width": "initial"},
                layout=widgets.Layout(width="auto"),
            )
            box.observe(self._controls_changed, names="value")
            self._boxes[pid] = box
        return [passage, widgets.Label("Select the phrases:"), *self._boxes.values()]

    def _read_controls(self) -> Any:
        return [pid for pid in self.spec.options if self._boxes[pid].value]

    def _write_controls(self, value: Any) -> None:
        chosen = set(value or [])
        for pid, box in self._boxes.items():
            box.value = pid in chosen
