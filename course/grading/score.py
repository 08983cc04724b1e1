"""Score answers against keys: pure functions, no files, no kernel.

``score_item(spec, key, record)`` turns one saved answer record into a
:class:`Result`. Partial credit is clamped to ``0..points``. Anything that
cannot be read as an answer to this item scores 0, with a message that says
why; nothing here raises on bad student data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..answers import short_repr
from ..describe import describe_answer
from ..items.spec import ItemSpec
from ..keys import ItemKey
from ..kinds import get_kind

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
    kind = get_kind(spec.kind)
    if key.completion:
        return (
            kind.completion_text(key)
            if kind is not None
            else "any saved answer (graded for completion)"
        )
    correct = kind.describe_key(spec, key) if kind is not None else None
    return correct if correct is not None else describe_answer(spec, key.answer)


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
    kind = get_kind(spec.kind)
    if kind is None:
        return unanswered(spec, key, problem=f"items of kind {spec.kind!r} are not autograded")
    judged = kind.judge(spec, key, record)
    if judged.value is None:
        return unanswered(spec, key)
    fraction = min(max(judged.fraction, 0.0), 1.0)
    return Result(
        item_id=spec.id,
        kind=spec.kind,
        points=min(max(round(spec.points * fraction, 4), 0.0), spec.points),
        max_points=spec.points,
        verdict=judged.verdict,
        answer=judged.value,
        answer_text=describe_answer(spec, judged.value),
        correct_text=describe_key(spec, key),
        explanation=key.full_explanation(),
        details=judged.details,
        problems=judged.problems,
    )
