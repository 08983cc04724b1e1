"""Classification: put each statement in one category."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from ..answers import AnswerBook
from ._base import DOC_SNIPPETS, Item, Options, Practice, doc_subst, shuffled

__all__ = ["Classification"]

#: The first entry of every category menu: no category chosen.
CHOOSE = "— choose —"


@doc_subst(DOC_SNIPPETS)
class Classification(Item):
    """Sort statements into categories, with one drop-down menu per statement.

    Each statement is shown as text, followed by a menu labelled
    "Statement 1", "Statement 2"… The answer is saved as a mapping
    ``{statement id: category id}`` holding the classified statements only.

    Parameters
    ----------
    {id}
    {prompt}
    statements : mapping or list of (id, text)
        Two or more statements; shuffled per student unless ``shuffle=False``.
    categories : mapping or list of (id, label)
        Two or more categories, always in authored order.
    {points}
    practice : mapping, optional
        ``{"answer": {statement id: category id}, "feedback": {statement id: text},
        "explanation": "..."}``.
    {shuffle}
    {seed}
    {book}
    """

    kind = "classification"

    def __init__(
        self,
        *,
        id: str,
        prompt: str,
        statements: Options,
        categories: Options,
        points: float | None = None,
        practice: Practice | None = None,
        shuffle: bool = True,
        seed: str | int | None = None,
        book: AnswerBook | None = None,
    ) -> None:
        spec_args = {
            "id": id,
            "prompt": prompt,
            "statements": statements,
            "categories": categories,
            "points": points,
            "practice": practice,
            "shuffle": shuffle,
        }
        super().__init__(spec_args, seed=seed, book=book)

    def _display_order(self) -> list[str]:
        ids = list(self.spec.statements)
        return shuffled(ids, self.seed) if self.spec.shuffle else ids

    def _build_controls(self) -> list[widgets.Widget]:
        choices = [(CHOOSE, None), *[(label, cid) for cid, label in self.spec.categories.items()]]
        self._menus: dict[str, widgets.Dropdown] = {}
        controls: list[widgets.Widget] = []
        for n, sid in enumerate(self.order, start=1):
            text = html.escape(self.spec.statements[sid])
            controls.append(
                widgets.HTML(
                    f'<p class="ce-statement"><strong>Statement {n}.</strong> {text}</p>',
                    layout=widgets.Layout(width="auto"),
                )
            )
            menu = widgets.Dropdown(
                options=choices,
                index=0,
                description=f"Statement {n}",
                style={"description_width": "initial"},
                layout=widgets.Layout(width="auto", margin="0 0 0.75em 0"),
            )
            menu.observe(self._controls_changed, names="value")
            self._menus[sid] = menu
            controls.append(menu)
        return controls

    def _read_controls(self) -> Any:
        return {
            sid: self._menus[sid].value
            for sid in self.spec.statements
            if self._menus[sid].value is not None
        }

    def _write_controls(self, value: Any) -> None:
        value = value or {}
        categories = list(self.spec.categories)
        for sid, menu in self._menus.items():
            cid = value.get(sid)
            # Index 0 is "— choose —"; setting value=None would leave no entry selected.
            menu.index = 0 if cid is None else categories.index(cid) + 1
