"""Score answers against keys: pure functions, no files, no kernel.

``score_item(spec, key, record)`` turns one saved answer record into a
:class:`Result`. Partial credit is clamped to ``0..points``. Anything that
cannot be read as an answer to this item scores 0, with a message that says
why; nothing here raises on bad student data.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from ..answers import short_repr
from ..describe import _ids, _label, describe_answer
from ..forecasts import first_locked, normalize
from ..items.spec import ItemSpec
from ..keys import ItemKey

__all__ = ["Result", "describe_answer", "describe_key", "score_item", "unanswered"]


@dataclass
class Result:
    """The outcome of scoring one item."""

    item_id: str
    kind: str
    points: float
    max_points: float
    #: correct, partial, incorrect, unanswered or unreadable
    verdict: str
    answer: Any = None
    answer_text: str = "(no answer saved)"
    correct_text: str = ""
    explanation: str = ""
    details: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_row(self) -> dict[str, Any]:
        """Return the result as a flat row for the per-item CSV."""
        return {
            "item_id": self.item_id,
            "kind": self.kind,
            "score": self.points,
            "max_score": self.max_points,
            "verdict": self.verdict,
            "answer": self.answer_text,
            "problems": "; ".join(self.problems),
        }


def describe_key(spec: ItemSpec, key: ItemKey) -> str:
    """Return the correct answer as plain text (grader-side only)."""
    if key.completion:
        if spec.kind != "forecast":
            return "any saved answer (graded for completion)"
        text = "any locked forecast (graded for completion)"
        if key.outcome is not None:
            text += f"; the question resolved {'YES' if key.outcome else 'NO'}"
        return text
    if spec.kind in {"numeric", "computed"} and key.value is not None:
        text = f"{key.value:g} {spec.unit}".strip()
        if key.tolerance:
            text += f" (± {key.tolerance:g})"
        for alt in key.accept:
            text += f"; also accepted: {alt['value']:g}"
            if alt.get("note"):
                text += f" ({alt['note']})"
        return text
    if spec.kind == "single_choice":
        return " or ".join(_label(spec, a) for a in _ids(key.answer))
    if spec.kind == "classification" and isinstance(key.answer, Mapping):
        parts = []
        for sid, text in spec.statements.items():
            cats = _ids(key.answer.get(sid))
            parts.append(f"{text} → {' or '.join(spec.categories.get(c, c) for c in cats)}")
        return "; ".join(parts)
    return describe_answer(spec, key.answer)


def unanswered(spec: ItemSpec, key: ItemKey | None = None, *, problem: str | None = None) -> Result:
    """Return the zero result for an item with no usable answer."""
    return Result(
        item_id=spec.id,
        kind=spec.kind,
        points=0.0,
        max_points=spec.points,
        verdict="unreadable" if problem else "unanswered",
        correct_text=describe_key(spec, key) if key else "",
        explanation=key.full_explanation() if key else "",
        problems=[problem] if problem else [],
    )


def _fraction_selection(chosen: list[str], correct: set[str]) -> tuple[float, list[str]]:
    """Hits minus false picks, over the number of correct options (over-selection costs)."""
    if not correct:
        return 0.0, ["the key lists no correct choice"]
    hits = len(set(chosen) & correct)
    false = len(set(chosen) - correct)
    details = [f"{hits} of {len(correct)} correct choices selected"]
    if false:
        details.append(f"{false} incorrect choice(s) selected, each cancelling one correct one")
    return (hits - false) / len(correct), details


def _score_value(spec: ItemSpec, key: ItemKey, value: Any) -> tuple[float, list[str], list[str]]:
    """Return (fraction of full credit, details, problems) for a well-typed value."""
    kind = spec.kind
    opts = set(spec.options)
    if key.completion:
        return 1.0, ["completion credit for a saved answer"], []
    if kind == "single_choice":
        if not isinstance(value, str):
            return 0.0, [], [f"the saved answer is not a single option id but {short_repr(value)}"]
        if value not in opts:
            problem = f"the saved option {short_repr(value)} is not one of this item's options"
            return 0.0, [], [problem]
        ok = value in _ids(key.answer)
        return (1.0 if ok else 0.0), [], []
    if kind in {"multiple_choice", "phrase_selection"}:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return 0.0, [], ["the saved answer is not a list of option ids"]
        problems = []
        unknown = sorted(set(value) - opts)
        if unknown:
            problems.append(f"unknown option id(s) ignored: {_id_list(unknown)}")
        repeated = sorted(v for v, n in Counter(value).items() if n > 1)
        if repeated:
            problems.append(f"option id(s) saved twice or more, counted once: {_id_list(repeated)}")
        chosen = [v for v in dict.fromkeys(value) if v in opts]
        fraction, details = _fraction_selection(chosen, set(_ids(key.answer)))
        return fraction, details, problems
    if kind == "ordering":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return 0.0, [], ["the saved order is not a list of entry ids"]
        if sorted(value) != sorted(opts):
            return 0.0, [], ["the saved order does not list each entry exactly once"]
        target = _ids(key.answer)
        if len(target) < 2 or sorted(target) != sorted(opts):
            return 0.0, [], ["the key's order does not list every entry"]
        pos = {v: i for i, v in enumerate(value)}
        pairs = list(combinations(target, 2))
        right = sum(1 for a, b in pairs if pos[a] < pos[b])
        return right / len(pairs), [f"{right} of {len(pairs)} pairs in the right order"], []
    if kind == "classification":
        if not isinstance(value, Mapping):
            return 0.0, [], ["the saved answer is not a statement → category mapping"]
        answer = key.answer if isinstance(key.answer, Mapping) else {}
        right = 0
        problems = []
        for stmt in spec.statements:
            cat = value.get(stmt)
            if cat is None:
                continue
            if not isinstance(cat, str) or cat not in spec.categories:
                problems.append(f"unknown category {short_repr(cat)} for statement {stmt}")
                continue
            if cat in _ids(answer.get(stmt)):
                right += 1
        unknown = sorted(str(s) for s in value if s not in spec.statements)
        if unknown:
            problems.append(f"unknown statement id(s) ignored: {_id_list(unknown)}")
        total = len(spec.statements)
        return right / total, [f"{right} of {total} statements classified correctly"], problems
    if kind in {"numeric", "computed"}:
        number = _finite(value)
        if number is None:
            return 0.0, [], [f"the saved answer is not a finite number but {short_repr(value)}"]
        if key.value is None:
            return 0.0, [], ["the key has no value"]
        targets = [(key.value, key.tolerance, "")] + [
            (a["value"], a["tolerance"], a["note"]) for a in key.accept
        ]
        for target, tol, note in targets:
            if abs(number - target) <= tol + 1e-9 * max(1.0, abs(target)):
                return 1.0, [f"accepted: {note}"] if note else [], []
        return 0.0, [], []
    return 0.0, [], [f"items of kind {kind!r} are not autograded"]


def _finite(value: Any) -> float | None:
    """Return ``value`` as a finite float, or None if it is not a number within float range."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        return None
    return number if math.isfinite(number) else None


def _id_list(ids: list[str], limit: int = 10) -> str:
    """Return ids as a short comma-separated list, each cut to a readable length."""
    shown = ", ".join(i if len(i) <= 40 else i[:37] + "..." for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _kind_problem(spec: ItemSpec, record: Mapping[str, Any]) -> str | None:
    """Return why a record's kind does not fit the item, or None if it fits (or is absent)."""
    kind = record.get("kind")
    if kind is None or kind == spec.kind:
        return None
    if isinstance(kind, str) and len(kind) <= 40:
        return f"the saved answer is a {kind} answer, not {spec.kind}"
    return f"the saved answer has no valid kind ({short_repr(kind)}), so it is not {spec.kind}"


def score_item(spec: ItemSpec, key: ItemKey | None, record: Mapping[str, Any] | None) -> Result:
    """Score one saved answer record against the key.

    Parameters
    ----------
    spec : ItemSpec
        What the item asked (from the trusted source notebook).
    key : ItemKey or None
        The key; a missing key scores 0 (fail closed).
    record : mapping or None
        The answer record from the answers file, or None if there is none.

    Returns
    -------
    Result
        Points clamped to ``0..spec.points``.
    """
    if key is None:
        return unanswered(spec, None, problem="no answer key for this item; ask the instructor")
    if record is None:
        return unanswered(spec, key)
    if not isinstance(record, Mapping):
        return unanswered(
            spec, key, problem=f"the saved answer record is not an object but {short_repr(record)}"
        )
    kind_problem = _kind_problem(spec, record)
    if kind_problem:
        return unanswered(spec, key, problem=kind_problem)
    if spec.kind == "forecast":
        return _score_forecast(spec, key, record)
    value = record.get("value")
    if value is None:
        return unanswered(spec, key)
    fraction, details, problems = _score_value(spec, key, value)
    fraction = min(max(fraction, 0.0), 1.0)
    points = min(max(round(spec.points * fraction, 4), 0.0), spec.points)
    verdict = "correct" if fraction >= 1.0 else "partial" if fraction > 0 else "incorrect"
    if problems and fraction == 0 and not details:
        verdict = "unreadable"
    return Result(
        item_id=spec.id,
        kind=spec.kind,
        points=points,
        max_points=spec.points,
        verdict=verdict,
        answer=value,
        answer_text=describe_answer(spec, value),
        correct_text=describe_key(spec, key),
        explanation=key.full_explanation(),
        details=details,
        problems=problems,
    )


def _score_forecast(spec: ItemSpec, key: ItemKey, record: Mapping[str, Any]) -> Result:
    """Score a forecast for completion: full points once it is locked, from its first lock.

    The first locked value (:func:`course.forecasts.first_locked`) is the
    answer that counts; later revisions never change it. A forecast saved but
    never locked scores 0, and so does a value that is not a forecast at all
    (with the reason).
    """
    locked = first_locked(record)
    if locked is None:
        value = record.get("value")
        if value is None:
            return unanswered(spec, key)
        try:
            normalize(value)
        except ValueError as exc:
            result = unanswered(spec, key, problem=f"the saved forecast could not be read: {exc}")
        else:
            result = unanswered(spec, key)
            result.details = ["the forecast was saved but never locked; only a locked one counts"]
        result.answer = value
        result.answer_text = describe_answer(spec, value)
        return result
    if not key.completion:
        fraction, details = 0.0, []
        problems = ["forecasts are graded for completion only; the key needs completion: true"]
    else:
        fraction, details, problems = 1.0, ["completion credit: the forecast was locked"], []
    revisions = record.get("revision", 1)
    if isinstance(revisions, int) and not isinstance(revisions, bool) and revisions > 1:
        details.append(f"{short_repr(revisions)} saved versions; the first locked one counts")
    return Result(
        item_id=spec.id,
        kind=spec.kind,
        points=round(spec.points * fraction, 4),
        max_points=spec.points,
        verdict="correct" if fraction >= 1.0 else "unreadable",
        answer=locked,
        answer_text=describe_answer(spec, locked),
        correct_text=describe_key(spec, key),
        explanation=key.full_explanation(),
        details=details,
        problems=problems,
    )
