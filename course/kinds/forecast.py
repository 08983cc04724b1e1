"""Forecast: a probability with a reason, locked by the student (graded for completion).

A forecast's stored shape is checked by :func:`normalize`; the value that
counts is the first one the student locked (:func:`first_locked`), which
every later revision of the record carries as ``first_locked``
(:meth:`ForecastKind.carry`). :mod:`course.forecasts` re-exports both.
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..shortrepr import short_repr
from ._base import ItemKind, Judgement, number_text, register, text_of

if TYPE_CHECKING:
    from ..items.spec import ItemSpec
    from ..keys import ItemKey

__all__ = ["ForecastKind", "first_locked", "normalize", "now_text"]


def now_text() -> str:
    """Return the time now in UTC as an answers file stores it (``2026-04-23T10:00:00.000Z``)."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def normalize(value: Any) -> dict[str, Any]:
    """Return a forecast value in its stored shape, or raise ValueError.

    Parameters
    ----------
    value : mapping
        ``{"probability": 0..100, "reason": str, "locked": bool, "locked_at": str}``;
        ``reason``, ``locked`` and ``locked_at`` are optional. A whole-number
        float such as ``70.0`` is accepted as a probability.

    Returns
    -------
    dict
        The same forecast with only the known fields, the probability as an int.

    Raises
    ------
    ValueError
        If the value is not a forecast, with the reason.

    Examples
    --------
    >>> normalize({"probability": 70.0, "reason": "Close to the front."})
    {'probability': 70, 'reason': 'Close to the front.', 'locked': False}
    """
    if not isinstance(value, Mapping):
        raise ValueError(f"a forecast is a mapping with a probability, not {short_repr(value)}")
    probability = value.get("probability")
    whole = (isinstance(probability, int) and not isinstance(probability, bool)) or (
        isinstance(probability, float) and probability.is_integer()  # False for NaN, infinity
    )
    if not whole or not isinstance(probability, int | float):
        raise ValueError(
            f"the probability must be a whole number of percent, not {short_repr(probability)}"
        )
    if not 0 <= probability <= 100:
        raise ValueError(
            f"the probability must be from 0 to 100 (percent), not {short_repr(probability)}"
        )
    reason = value.get("reason", "")
    reason = "" if reason is None else reason
    if not isinstance(reason, str):
        raise ValueError(f"the reason must be text, not {short_repr(reason)}")
    locked = value.get("locked", False)
    if not isinstance(locked, bool):
        raise ValueError(f"'locked' must be true or false, not {short_repr(locked)}")
    out: dict[str, Any] = {"probability": int(probability), "reason": reason, "locked": locked}
    locked_at = value.get("locked_at")
    if locked and locked_at is not None:
        if not isinstance(locked_at, str):
            raise ValueError(f"'locked_at' must be an ISO time, not {short_repr(locked_at)}")
        out["locked_at"] = locked_at
    return out


def _locked_or_none(value: Any) -> dict[str, Any] | None:
    try:
        forecast = normalize(value)
    except ValueError:
        return None
    return forecast if forecast["locked"] else None


def first_locked(record: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return the forecast that counts: the value the student first locked, or None.

    The record's ``first_locked`` field is used when it holds a locked
    forecast. Otherwise the earliest locked value among the record's
    ``history`` and its current ``value`` is used, so a revision saved
    without ``first_locked`` (for example by code) cannot unlock or change a
    forecast that was locked earlier.

    Parameters
    ----------
    record : mapping or None
        One answer record from an answers file.

    Returns
    -------
    dict or None
        The locked forecast (see :func:`normalize`), or None if it was never locked.
    """
    if not isinstance(record, Mapping) or record.get("kind") not in ("forecast", None):
        return None
    stored = _locked_or_none(record.get("first_locked"))
    if stored is not None:
        return stored
    history = record.get("history")
    entries = history if isinstance(history, list) else []
    values = [e.get("value") for e in entries if isinstance(e, Mapping)]
    for value in [*values, record.get("value")]:
        locked = _locked_or_none(value)
        if locked is not None:
            return locked
    return None


@register
class ForecastKind(ItemKind):
    """A probability (0–100) and a reason; its first locked value counts."""

    name = "forecast"
    takes_outcome = True
    class_name = "Forecast"
    args = frozenset({"resolution", "as_of"})
    needs_points = False
    has_practice = False
    minutes = 2.0

    def coerce(self, spec: ItemSpec, value: Any) -> Any:
        """A forecast in its stored shape (see :func:`normalize`)."""
        return normalize(value)

    def carry(
        self, previous: Mapping[str, Any] | None, record: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The first locked value, as ``first_locked``: that of ``previous``, else of ``record``."""
        first = first_locked(previous) if previous is not None else None
        if first is None:
            first = first_locked(record)
        return {"first_locked": first} if first is not None else {}

    def counted(self, record: Mapping[str, Any]) -> Any:
        """The first locked value, or the latest one while the forecast is not locked."""
        return first_locked(record) or record.get("value")

    def judge(self, spec: ItemSpec, key: ItemKey, record: Mapping[str, Any]) -> Judgement:
        """Full credit once locked, from the first lock; completion keys only.

        The first locked value (:func:`first_locked`) is the answer that
        counts; later revisions never change it. A forecast saved but never
        locked scores 0 as unanswered, and so does a value that is not a
        forecast at all (unreadable, with the reason).
        """
        locked = first_locked(record)
        if locked is None:
            value = record.get("value")
            if value is None:
                return Judgement(None)
            try:
                normalize(value)
            except ValueError as exc:
                return Judgement(
                    value,
                    verdict="unreadable",
                    problems=[f"the saved forecast could not be read: {exc}"],
                )
            return Judgement(
                value, details=["the forecast was saved but never locked; only a locked one counts"]
            )
        if not key.completion:
            fraction, details = 0.0, []
            problems = ["forecasts are graded for completion only; the key needs completion: true"]
        else:
            fraction, details, problems = 1.0, ["completion credit: the forecast was locked"], []
        revisions = record.get("revision", 1)
        if isinstance(revisions, int) and not isinstance(revisions, bool) and revisions > 1:
            details.append(f"{short_repr(revisions)} saved versions; the first locked one counts")
        verdict = "correct" if fraction >= 1.0 else "unreadable"
        return Judgement(locked, fraction, verdict, details, problems)

    def completion_text(self, key: ItemKey) -> str:
        """Any locked forecast, and how the question resolved once the key records it."""
        text = "any locked forecast (graded for completion)"
        if key.outcome is not None:
            text += f"; the question resolved {'YES' if key.outcome else 'NO'}"
        return text

    def question_lines(self, spec: ItemSpec) -> list[tuple[str, str]]:
        """The moment the forecast is made from, and how the question resolves."""
        lines = [("Forecast as of", spec.as_of)] if spec.as_of else []
        return [*lines, ("How it resolves", spec.resolution)]

    def spec_problem(self, fields: dict[str, Any]) -> str | None:
        resolution = fields["resolution"]
        if not isinstance(resolution, str) or not resolution.strip():
            return "a forecast needs a resolution: what exactly counts as YES"
        return None

    def describe(self, spec: ItemSpec, value: Any) -> str | None:
        if not isinstance(value, Mapping):
            return None
        state = "locked" if value.get("locked") is True else "not locked"
        reason = value.get("reason")
        reason = "" if reason is None else text_of(reason).strip()
        probability = value.get("probability")
        if isinstance(probability, int | float) and not isinstance(probability, bool):
            text = f"{number_text(probability)}% ({state})"
        else:
            text = f"{short_repr(probability)} as the probability ({state})"
        return f"{text}: {reason}" if reason else text

    def check_key(self, spec: ItemSpec, key: ItemKey) -> list[str]:
        return [f"{spec.id}: forecasts are graded for completion: set completion: true"]

    def simulate_saves(self, spec: ItemSpec, value: Any, rng: random.Random) -> list[Any]:
        """A first draft a little off, then the final forecast, locked if the student locks."""
        if not isinstance(value, Mapping):
            return [value]
        probability = int(value["probability"])
        draft = int(min(100, max(0, probability + rng.choice([-20, -10, 10, 20]))))
        final: dict[str, Any] = {
            "probability": probability,
            "reason": str(value.get("reason", "")),
            "locked": bool(value.get("locked")),
        }
        if final["locked"]:
            final["locked_at"] = now_text()
        return [
            normalize({"probability": draft, "reason": "First thought.", "locked": False}),
            normalize(final),
        ]

    def simulate(self, spec: ItemSpec, key: ItemKey, right: bool, rng: random.Random) -> Any:
        # A spread of probabilities with a little skill when the outcome is known;
        # most students lock, some forget (and a forecast that is not locked scores 0).
        centre = 50.0 if key.outcome is None else (65.0 if key.outcome else 35.0)
        probability = int(min(95, max(5, 5 * round(rng.gauss(centre, 20) / 5))))
        return {
            "probability": probability,
            "reason": "Simulated reason: what I knew in April 2016.",
            "locked": right or rng.random() < 0.75,
        }
