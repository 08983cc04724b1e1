"""Ordering: put entries in order with a list box and Move up / Move down buttons."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..answers import AnswerBook
from ._base import DOC_SNIPPETS, Item, Options, Practice, doc_subst, shuffled

__all__ = ["Ordering"]


@doc_subst(DOC_SNIPPETS)
class Ordering(Item):
    """Put entries in order: select one in the list, then move it up or down.

    The list starts in an order shuffled per student (never the authored
    order, which may be the answer, unless ``shuffle=False``). Each move saves
    the whole order; "Save this order" saves the order shown as it is. The
    answer is saved as the list of entry ids in the student's order.

    Parameters
    ----------
    {id}
    {prompt}
    options : mapping or list of (id, text)
        Three or more entries.
    {points}
    practice : mapping, optional
        ``{"answer": [ids in order], "explanation": "..."}``.
    {shuffle}
    {seed}
    {book}
    """

    kind = "ordering"

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

    def _display_order(self) -> list[str]:
        ids = list(self.spec.options)
        if not self.spec.shuffle:
            return ids
        order = shuffled(ids, self.seed)
        if order == ids:  # never start from the authored order: it may be the answer
            order = order[1:] + order[:1]
        return order

    def _build_controls(self) -> list[widgets.Widget]:
        self._current: list[str] = list(self.order)
        self._list = widgets.Select(
            options=self._labels(),
            value=self._current[0],
            rows=len(self._current),
            description="Your order",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="auto"),
        )
        self._up = widgets.Button(
            description="Move up",
            tooltip="Move the selected entry up one place (and save the new order)",
            icon="arrow-up",
        )
        self._down = widgets.Button(
            description="Move down",
            tooltip="Move the selected entry down one place (and save the new order)",
            icon="arrow-down",
        )
        self._keep = widgets.Button(
            description="Save this order",
            tooltip="Save the order shown, as it is",
            icon="check",
        )
        self._up.on_click(lambda _button: self.move(-1))
        self._down.on_click(lambda _button: self.move(1))
        self._keep.on_click(lambda _button: self.save_order())
        hint = widgets.HTML(
            "<small>Select an entry (click it, or press Home or End in the list), then use "
            "Move up / Move down. Each move is saved.</small>"
        )
        return [self._list, widgets.HBox([self._up, self._down, self._keep]), hint]

    def _labels(self) -> list[tuple[str, str]]:
        return [(f"{n}. {self.spec.options[oid]}", oid) for n, oid in enumerate(self._current, 1)]

    def _refresh(self, selected: str | None = None) -> None:
        selected = selected if selected is not None else self._list.value
        self._list.options = self._labels()
        self._list.value = selected if selected in self._current else self._current[0]

    def move(self, step: int) -> None:
        """Move the selected entry ``step`` places (-1 up, +1 down) and save the order."""
        oid = self._list.value
        if oid is None:
            self._set_note("Select an entry in the list first.")
            return
        pos = self._current.index(oid)
        target = pos + step
        if not 0 <= target < len(self._current):
            self._set_note("That entry is already at the " + ("top." if step < 0 else "bottom."))
            return
        self._current[pos], self._current[target] = self._current[target], self._current[pos]
        self._syncing = True
        try:
            self._refresh(oid)
        finally:
            self._syncing = False
        self._controls_changed()
        self._set_note(f"Moved “{self.spec.options[oid]}” to place {target + 1}.")

    def save_order(self) -> None:
        """Save the order shown, even if it was not changed."""
        if self.value == self._current:
            self.save()
        else:
            self._controls_changed()

    def _read_controls(self) -> Any:
        return list(self._current)

    def _write_controls(self, value: Any) -> None:
        self._current = list(value) if value is not None else list(self.order)
        self._refresh()
