"""Numeric: type a number."""

from __future__ import annotations

import math
from typing import Any

import ipywidgets as widgets

from ..answers import AnswerBook
from ._base import DOC_SNIPPETS, Item, Practice, _NoChange, doc_subst

__all__ = ["Numeric", "format_number", "parse_number"]


def format_number(value: float) -> str:
    """Return a number as a student would type it (``225``, ``192.5``).

    >>> format_number(225.0), format_number(0.1)
    ('225', '0.1')
    """
    return f"{value:.15g}"


def parse_number(text: str, unit: str = "") -> float:
    """Return the number typed in ``text``, or raise ValueError with advice for the student.

    A trailing ``unit`` is ignored. Commas are refused, since ``1,5`` and
    ``1,500`` would be ambiguous.

    >>> parse_number(" 225 km", "km")
    225.0
    """
    cleaned = text.strip()
    if unit and cleaned.endswith(unit):
        cleaned = cleaned[: -len(unit)].strip()
    if "," in cleaned:
        raise ValueError(
            f"“{text.strip()}” has a comma. Use a point for decimals and no thousands "
            "separator (for example 1500 or 12.5)."
        )
    try:
        number = float(cleaned)
    except ValueError:
        raise ValueError(
            f"“{text.strip()}” is not a number. Type digits only, with a point for "
            "decimals (for example 12.5)."
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"“{text.strip()}” is not a finite number.")
    return number


@doc_subst(DOC_SNIPPETS)
class Numeric(Item):
    """A question answered with a number, typed in a text box.

    The answer is saved as a float when the student presses Enter or leaves the
    box. An empty box changes nothing; text that is not a number is not saved
    and a note says why.

    Parameters
    ----------
    {id}
    {prompt}
    unit : str, optional
        The unit shown after the box, such as ``"km"``.
    placeholder : str, optional
        Hint text shown in the empty box (default "Type a number").
    {points}
    practice : mapping, optional
        ``{"answer": 18, "tolerance": 0, "feedback": {"correct": "...", "incorrect": "..."},
        "explanation": "..."}``.
    {no_shuffle}
    {no_seed}
    {book}
    """

    kind = "numeric"

    def __init__(
        self,
        *,
        id: str,
        prompt: str,
        unit: str | None = None,
        placeholder: str | None = None,
        points: float | None = None,
        practice: Practice | None = None,
        shuffle: bool = True,
        seed: str | int | None = None,
        book: AnswerBook | None = None,
    ) -> None:
        self._placeholder = placeholder or "Type a number"
        spec_args = {
            "id": id,
            "prompt": prompt,
            "unit": unit,
            "placeholder": placeholder,
            "points": points,
            "practice": practice,
            "shuffle": shuffle,
        }
        super().__init__(spec_args, seed=seed, book=book)

    def _display_order(self) -> list[str]:
        return []

    def _extra(self) -> dict[str, Any] | None:
        return None

    def _build_controls(self) -> list[widgets.Widget]:
        self._text = widgets.Text(
            value="",
            placeholder=self._placeholder,
            description="Your answer" + (f" (in {self.spec.unit})" if self.spec.unit else ""),
            continuous_update=False,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="auto"),
        )
        self._text.observe(self._controls_changed, names="value")
        row = [self._text]
        if self.spec.unit:
            row.append(widgets.Label(self.spec.unit))
        hint = widgets.HTML("<small>Press Enter or Tab to save the number.</small>")
        return [widgets.HBox(row), hint]

    def _read_controls(self) -> Any:
        text = self._text.value
        if not text.strip():
            if self.value is None:
                raise _NoChange("")
            raise _NoChange(
                f"The box is empty, so your saved answer ({format_number(self.value)}) "
                "is unchanged."
            )
        try:
            return parse_number(text, self.spec.unit)
        except ValueError as exc:
            raise _NoChange(f"{exc} Nothing was saved.") from None

    def _write_controls(self, value: Any) -> None:
        self._text.value = "" if value is None else format_number(value)
