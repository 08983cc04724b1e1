"""Locked forecasts: read them back, and score them with the Brier score.

A forecast item (:class:`course.items.Forecast`) asks for a probability from 0
to 100% and a short reason. Its answer record in the answers file holds:

``value``
    The latest revision, ``{"probability": int, "reason": str, "locked": bool}``,
    plus ``"locked_at"`` (ISO time of the first lock) once the forecast is locked.
``first_locked``
    The value as it was when the student first locked it. It is written with
    the lock and copied onto every later revision, and it is **the forecast
    that counts**: grading (completion) and module 08 (Brier score) read it,
    never the latest revision.
``history``
    Every earlier revision, oldest first. Forecasts keep their whole history,
    so the lock can be recovered even from a revision saved without
    ``first_locked``.

This module never imports ipywidgets: the grader and the lessons use it.

Examples
--------
>>> import tempfile
>>> from course.answers import AnswerBook
>>> book = AnswerBook("00-orientation", tempfile.mkdtemp())
>>> _ = record_forecast(book, "m00-fc-demo", 70, "Troops are close by.", lock=True)
>>> _ = record_forecast(book, "m00-fc-demo", 10, "I changed my mind.")
>>> first_locked(book.get("m00-fc-demo"))["probability"]
70
>>> read_locked("00-orientation", book.folder)
{'m00-fc-demo': 70}
>>> brier({"m00-fc-demo": 0.7}, {"m00-fc-demo": 1})
0.09
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .answers import AnswerBook, answers_path, read_answers
from .kinds.forecast import first_locked, normalize, now_text

__all__ = [
    "MAX_REVISIONS",
    "brier",
    "find_answers",
    "first_locked",
    "normalize",
    "read_locked",
    "record_forecast",
]

#: Revisions one forecast may have. The answers format allows at most 500
#: history entries per record, and forecasts keep their whole history, so
#: drafts stop being saved here (locking still is).
MAX_REVISIONS = 450


_now = now_text  # the time a forecast is locked, as the widget stamps it


def find_answers(notebook: str, folder: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the path of a notebook's answers file, or None if there is none.

    Parameters
    ----------
    notebook : str
        The notebook's name, such as ``"00-orientation"``.
    folder : path-like, optional
        Where to look. By default the current folder, then ``../<notebook>``:
        when each module is in its own folder side by side (as nbgrader fetches
        them), module 08 finds module 00's answers there.
    """
    stem = notebook[:-6] if notebook.endswith(".ipynb") else notebook
    folders = [Path(folder)] if folder is not None else [Path("."), Path("..") / stem]
    for candidate in folders:
        path = answers_path(stem, candidate)
        if path.is_file():
            return path
    return None


def read_locked(
    notebook: str = "00-orientation",
    folder: str | os.PathLike[str] | None = None,
    *,
    item_ids: Sequence[str] | None = None,
) -> dict[str, int]:
    """Return a student's locked forecasts: item id -> probability in percent (0–100).

    Only the first locked value of each forecast is returned (see
    :func:`first_locked`); forecasts that were saved but never locked are
    left out. Nothing is written.

    Parameters
    ----------
    notebook : str, default "00-orientation"
        The notebook whose answers hold the forecasts.
    folder : path-like, optional
        The folder of that notebook's answers file; see :func:`find_answers`
        for where it is looked for by default.
    item_ids : sequence of str, optional
        Return only these forecasts.

    Returns
    -------
    dict
        Empty if no answers file was found or no forecast in it was locked.
    """
    path = find_answers(notebook, folder)
    if path is None:
        return {}
    stem = notebook[:-6] if notebook.endswith(".ipynb") else notebook
    found = read_answers(path, notebook=stem)
    out: dict[str, int] = {}
    for item_id, record in found.answers.items():
        if record.get("kind") != "forecast" or (item_ids is not None and item_id not in item_ids):
            continue
        locked = first_locked(record)
        if locked is not None:
            out[item_id] = locked["probability"]
    return out


def _as_pairs(probabilities: Any, outcomes: Any) -> list[tuple[float, float]]:
    if isinstance(probabilities, Mapping) and isinstance(outcomes, Mapping):
        return [(probabilities[k], outcomes[k]) for k in probabilities if k in outcomes]
    if isinstance(probabilities, Mapping) or isinstance(outcomes, Mapping):
        raise ValueError("give both probabilities and outcomes as mappings, or both as lists")
    probabilities, outcomes = list(probabilities), list(outcomes)
    if len(probabilities) != len(outcomes):
        raise ValueError(
            f"{len(probabilities)} probabilities but {len(outcomes)} outcomes: give one each"
        )
    return list(zip(probabilities, outcomes, strict=True))


def brier(
    probabilities: Mapping[str, float] | Sequence[float],
    outcomes: Mapping[str, int] | Sequence[int],
) -> float:
    """Return the Brier score: the mean of (probability − outcome)², from 0 (best) to 1.

    Parameters
    ----------
    probabilities : mapping or sequence of float
        Forecast probabilities as fractions from 0 to 1 (70% is 0.7).
    outcomes : mapping or sequence of int
        1 where the event happened, 0 where it did not. With mappings, only
        the ids present in both are scored.

    Returns
    -------
    float
        Rounded to 6 decimals. Always saying 50% scores 0.25.

    Raises
    ------
    ValueError
        If there is nothing to score, a probability is outside 0–1 (a
        percentage given by mistake) or an outcome is not 0 or 1.

    Examples
    --------
    >>> brier([0.9, 0.2, 0.6, 0.5], [1, 0, 0, 1])
    0.165
    >>> brier([0.5, 0.5], [1, 0])
    0.25
    """
    pairs = _as_pairs(probabilities, outcomes)
    if not pairs:
        raise ValueError("there is nothing to score: no forecast has an outcome")
    total = 0.0
    for p, o in pairs:
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
            raise ValueError(
                f"probability {p!r} is not a fraction from 0 to 1; "
                "divide percentages by 100 (70% is 0.7)"
            )
        if isinstance(o, bool):
            o = int(o)
        if o not in (0, 1):
            raise ValueError(f"outcome {o!r} is not 1 (it happened) or 0 (it did not)")
        total += (float(p) - o) ** 2
    return round(total / len(pairs), 6)


def record_forecast(
    book: AnswerBook,
    item_id: str,
    probability: int,
    reason: str = "",
    *,
    lock: bool = False,
) -> dict[str, Any]:
    """Save a forecast revision exactly as the Forecast widget does, and return the record.

    Once a forecast is locked, later revisions are still saved (with their
    own probability and reason, marked ``locked``), but ``first_locked`` keeps
    the value that counts.

    Parameters
    ----------
    book : AnswerBook
        The answers file to write.
    item_id : str
        The forecast item's id.
    probability : int
        Percent, 0–100.
    reason : str, optional
        The student's short reason.
    lock : bool, default False
        Lock the forecast with this revision (ignored if it is already locked).
    """
    previous = book.get(item_id)
    earlier = first_locked(previous) if previous is not None else None
    value: dict[str, Any] = {"probability": probability, "reason": reason, "locked": False}
    if earlier is not None:
        value.update(locked=True, locked_at=earlier.get("locked_at"))
    elif lock:
        value.update(locked=True, locked_at=_now())
    value = normalize(value)
    first = earlier if earlier is not None else (value if value["locked"] else None)
    extra = {"first_locked": first} if first is not None else None
    return book.record(item_id, value, kind="forecast", extra=extra, keep_history=None)
