"""Forecast: a probability from 0 to 100% with a short reason, locked once given."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import ipywidgets as widgets

from ..answers import AnswerBook
from ..forecasts import MAX_REVISIONS, _now, first_locked
from ..render import format_saved_at, render_html, render_text
from ._base import DOC_SNIPPETS, Item, _esc, _status_html, doc_subst

__all__ = ["Forecast"]

LOCK_HINT = (
    "Not locked yet. Your forecast counts only once you press “Lock my forecast”; "
    "after that it cannot be changed."
)

#: The lock button before locking: a coloured, clearly usable button.
LOCK_LABEL = "Lock my forecast"
LOCK_TOOLTIP = (
    "Lock this probability and reason. A locked forecast cannot be changed; write a reason first."
)
#: The lock button once the forecast is locked: disabled, and saying so.
LOCKED_LABEL = "Forecast locked"
LOCKED_TOOLTIP = "This forecast is locked and can no longer be changed."


@doc_subst(DOC_SNIPPETS)
class Forecast(Item):
    """Ask for a probability (0–100%) and a short reason, then lock it for good.

    Before the forecast is locked, each change of the slider or the reason is
    saved as a revision, ``{"probability": 70, "reason": "...", "locked": false}``.
    Pressing **Lock my forecast** (which needs a reason) saves
    ``{"probability": 70, "reason": "...", "locked": true, "locked_at": "<ISO time>"}``
    and stores that value as the record's ``first_locked``. From then on the
    controls show the locked forecast and are disabled, the button (a coloured
    ``primary`` button until then) reads **Forecast locked**, and a note says so.
    A change made afterwards in code is still saved as a new revision, marked
    ``locked``, but ``first_locked`` is copied onto it unchanged: the first
    locked value is the one that counts (see :func:`course.forecasts.first_locked`).
    Forecasts keep their whole history in the answers file.

    Parameters
    ----------
    {id}
    {prompt}
    resolution : str
        How the question will be resolved: exactly what counts as YES.
    as_of : str, optional
        The moment the forecast is made from, such as ``"April 2016"``.
    points : float, optional
        Points for completion (default 1): a locked forecast earns them all.
        A forecast with ``points=0`` is not graded.
    {no_shuffle}
    {no_seed}
    {book}

    Examples
    --------
    In a lesson, after ``start(...)`` (``lock()`` returns True once locked)::

        q = Forecast(id="m00-fc-x", prompt="Will it happen?",
                     resolution="YES if it happens by 2018.", as_of="April 2016")
        q.value = {"probability": 70, "reason": "It is close."}
        q.lock()
    """

    kind = "forecast"
    history_limit: ClassVar[int | None] = None

    def __init__(
        self,
        *,
        id: str,
        prompt: str,
        resolution: str,
        as_of: str | None = None,
        points: float | None = None,
        shuffle: bool = True,
        seed: str | int | None = None,
        book: AnswerBook | None = None,
    ) -> None:
        self._first_locked: dict[str, Any] | None = None
        spec_args = {
            "id": id,
            "prompt": prompt,
            "resolution": resolution,
            "as_of": as_of,
            "points": points,
            "shuffle": shuffle,
        }
        super().__init__(spec_args, seed=seed, book=book)
        self._show_lock_state()

    @property
    def locked(self) -> dict[str, Any] | None:
        """The forecast that counts (the first locked value), or None before locking."""
        return dict(self._first_locked) if self._first_locked is not None else None

    def _display_order(self) -> list[str]:
        return []

    def _extra(self) -> dict[str, Any] | None:
        return {"first_locked": dict(self._first_locked)} if self._first_locked else None

    def _build_controls(self) -> list[widgets.Widget]:
        as_of = ""
        if self.spec.as_of:
            as_of = f"<strong>Forecast as of {_esc(self.spec.as_of)}.</strong> "
        self._context = widgets.HTML(
            f'<p class="ce-resolution">{as_of}<strong>How it resolves:</strong> '
            f"{_esc(self.spec.resolution)}</p>",
            layout=widgets.Layout(width="auto"),
        )
        self._slider = widgets.IntSlider(
            value=50,
            min=0,
            max=100,
            step=1,
            description="Your probability (%)",
            continuous_update=False,
            readout=True,
            readout_format="d",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="32em", max_width="100%"),
        )
        self._number = widgets.BoundedIntText(
            value=50,
            min=0,
            max=100,
            step=1,
            description="or type it (%)",
            continuous_update=False,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="14em"),
        )
        self._reason = widgets.Textarea(
            value="",
            placeholder="Why? One or two sentences.",
            description="Your reason",
            continuous_update=False,
            rows=2,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="auto"),
        )
        self._lock_button = widgets.Button(
            description=LOCK_LABEL,
            tooltip=LOCK_TOOLTIP,
            icon="lock",
            button_style="primary",
            layout=widgets.Layout(width="auto"),
        )
        self._lock_state = widgets.HTML("", layout=widgets.Layout(width="auto"))
        hint = widgets.HTML(
            "<small>Drag the slider, or type a whole number from 0 to 100 in the box and press "
            "Enter or Tab (0 = it certainly will not happen, 100 = it certainly will). Then "
            "write your reason (saved when you leave the box) and lock.</small>"
        )
        self._slider.observe(self._controls_changed, names="value")
        self._slider.observe(self._show_number, names="value")
        self._number.observe(self._number_typed, names="value")
        self._reason.observe(self._controls_changed, names="value")
        self._lock_button.on_click(lambda _button: self.lock())
        return [
            self._context,
            widgets.HBox([self._slider, self._number], layout=widgets.Layout(flex_flow="row wrap")),
            self._reason,
            hint,
            self._lock_button,
            self._lock_state,
        ]

    def _show_number(self, change: Any) -> None:
        """Keep the number box showing the slider's value."""
        self._number.value = change["new"]

    def _number_typed(self, change: Any) -> None:
        """Move the slider to a typed number; the slider's own observer saves it."""
        self._slider.value = change["new"]

    # -- values -------------------------------------------------------------------
    def _read_controls(self) -> Any:
        return {
            "probability": int(self._slider.value),
            "reason": self._reason.value.strip(),
            "locked": self._first_locked is not None,
        }

    def _write_controls(self, value: Any) -> None:
        shown = self._first_locked or value
        if shown is None:
            self._slider.value = 50
            self._reason.value = ""
        else:
            self._slider.value = shown["probability"]
            self._reason.value = shown["reason"]

    def _coerce(self, value: Any) -> Any:
        """The kind's forecast (:func:`course.forecasts.normalize`), held to the lock state.

        Once the forecast is locked, every value is marked locked with the
        first lock's time; a value that locks it now gets the time of locking.
        """
        forecast = super()._coerce(value)
        if self._first_locked is not None:
            forecast["locked"] = True
            if "locked_at" in self._first_locked:
                forecast["locked_at"] = self._first_locked["locked_at"]
            else:
                forecast.pop("locked_at", None)
        elif forecast["locked"] and "locked_at" not in forecast:
            forecast["locked_at"] = _now()
        return forecast

    # -- locking ------------------------------------------------------------------
    def lock(self) -> bool:
        """Lock the forecast shown in the controls; return True if it was locked now.

        A forecast needs a reason before it can be locked. Locking twice does
        nothing: the first locked value stays the one that counts.
        """
        if self._first_locked is not None:
            self._set_note("This forecast is already locked; it cannot be changed.")
            return False
        reason = self._reason.value.strip()
        if not reason:
            self._set_note("Write a short reason first, then lock your forecast.")
            return False
        self._set_note("")
        self.value = {
            "probability": int(self._slider.value),
            "reason": reason,
            "locked": True,
            "locked_at": _now(),
        }
        return self._first_locked is not None

    def _on_value(self, change: dict[str, Any]) -> None:
        new = change["new"]
        if self._first_locked is None and isinstance(new, Mapping) and new.get("locked"):
            self._first_locked = dict(new)
        super()._on_value(change)
        self._show_lock_state()

    def _save(self, value: Any) -> None:
        try:
            previous = self.book.get(self.spec.id)
        except Exception:  # never raise into the notebook; the save reports the problem
            previous = None
        if previous is not None and int(previous.get("revision", 1)) >= MAX_REVISIONS:
            locking = first_locked(previous) is None and isinstance(value, Mapping)
            if not (locking and value.get("locked")):
                self._status.value = _status_html(
                    f"Not saved: this forecast already has {MAX_REVISIONS} saved versions, "
                    "the most one answer keeps. Lock the forecast shown to keep it."
                )
                return
        super()._save(value)

    def _restore(self) -> None:
        try:
            record = self.book.get(self.spec.id)
        except Exception:  # the base restore reports an unreadable file
            record = None
        if record is not None and record.get("kind") == self.kind:
            self._first_locked = first_locked(record)
        super()._restore()
        if self._first_locked is not None and self.value is None:
            self._sync_controls(None)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """Return the widget view plus a static rendering of the forecast that counts."""
        data = super()._repr_mimebundle_(**kwargs)
        shown = self._first_locked or self.value
        data["text/plain"] = render_text(self.spec, shown, saved_at=self._saved_at)
        data["text/html"] = render_html(self.spec, shown, saved_at=self._saved_at)
        return data

    def _show_lock_state(self) -> None:
        locked = self._first_locked
        for control in (self._slider, self._number, self._reason, self._lock_button):
            control.disabled = locked is not None
        button = self._lock_button
        button.description = LOCK_LABEL if locked is None else LOCKED_LABEL
        button.tooltip = LOCK_TOOLTIP if locked is None else LOCKED_TOOLTIP
        button.button_style = "primary" if locked is None else ""
        if locked is None:
            hint = _esc(LOCK_HINT)
            self._lock_state.value = f'<p class="ce-lock-state"><small>{hint}</small></p>'
            return
        when = format_saved_at(locked.get("locked_at"))
        when_text = f" on {when}" if " " in when else f" at {when}" if when else ""
        self._lock_state.value = (
            '<p class="ce-lock-state" role="status" aria-live="polite"><strong>Locked'
            f"{_esc(when_text)}: {locked['probability']}%.</strong> "
            "This is the forecast that counts, and it can no longer be changed. "
            "Module 08 checks it against what happened.</p>"
        )
