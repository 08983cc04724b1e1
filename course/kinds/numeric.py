"""Numbers: a number typed in (numeric) or computed in the student's code (computed)."""

from __future__ import annotations

import math
import numbers
import random
import sys
from typing import TYPE_CHECKING, Any, TypeGuard

from ..shortrepr import short_repr
from ._base import ItemKind, Scored, number_text, practice_parts, register

if TYPE_CHECKING:
    from ..items.spec import ItemSpec
    from ..keys import ItemKey

__all__ = ["ComputedKind", "NumericKind", "finite", "is_number"]

#: The largest integer magnitude a number may have: the largest finite float (as the answers
#: file allows, ``course.answers.MAX_INT``). A larger integer would round to that float.
_MAX_INT = int(sys.float_info.max)


def finite(value: Any) -> float | None:
    """Return ``value`` as a finite float, or None if it is not a number within float range."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and abs(value) > _MAX_INT:
        return None  # beyond float range: float() would round or overflow
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        return None
    return number if math.isfinite(number) else None


def is_number(value: Any) -> TypeGuard[numbers.Real]:
    """Return True for a finite real number (not True or False), such as ``3`` or ``2.5``.

    >>> is_number(2.5), is_number(True), is_number(float("nan")), is_number(10**400)
    (True, False, False, False)
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return False
    if isinstance(value, int) and abs(value) > _MAX_INT:
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer beyond float range
        return False


@register
class NumericKind(ItemKind):
    """A number; full credit within the key's tolerance of its value or an accepted one."""

    name = "numeric"
    class_name = "Numeric"
    args = frozenset({"unit", "placeholder"})
    minutes = 2.0

    def coerce(self, spec: ItemSpec, value: Any) -> Any:
        if not is_number(value):
            raise ValueError(f"{value!r} is not a finite number")
        return float(value)

    def question_lines(self, spec: ItemSpec) -> list[tuple[str, str]]:
        """The unit, if the item has one."""
        return [("Unit", spec.unit)] if spec.unit else []

    def describe(self, spec: ItemSpec, value: Any) -> str | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{number_text(value)} {spec.unit}".strip()
        return None

    def score(self, spec: ItemSpec, key: ItemKey, value: Any) -> Scored:
        number = finite(value)
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

    def simulate(self, spec: ItemSpec, key: ItemKey, right: bool, rng: random.Random) -> Any:
        if key.value is None:
            raise ValueError(f"{spec.id}: the key has no value to simulate answers from")
        if right:
            return key.value
        factor = rng.choice([0.5, 0.8, 1.17, 1.5, 2.0])
        value = round(key.value * factor, 1) if key.value else rng.choice([1.0, 10.0])
        if abs(value - key.value) <= key.tolerance or any(
            abs(value - a["value"]) <= a["tolerance"] for a in key.accept
        ):
            value = key.value + 10 * (key.tolerance + 1)
        return value

    def describe_key(self, spec: ItemSpec, key: ItemKey) -> str | None:
        if key.value is None:
            return None
        text = f"{key.value:g} {spec.unit}".strip()
        if key.tolerance:
            text += f" (± {key.tolerance:g})"
        for alt in key.accept:
            text += f"; also accepted: {alt['value']:g}"
            if alt.get("note"):
                text += f" ({alt['note']})"
        return text

    def check_key(self, spec: ItemSpec, key: ItemKey) -> list[str]:
        problems = []
        if key.value is None:
            problems.append(f"{spec.id}: the key gives no value")
        if key.tolerance < 0:
            problems.append(f"{spec.id}: tolerance cannot be negative")
        return problems

    def practice_check(
        self, spec: ItemSpec, value: Any, order: list[str]
    ) -> tuple[bool, list[str]]:
        answer, feedback = practice_parts(spec)
        tolerance = float((spec.practice or {}).get("tolerance", 0) or 0)
        target, number = finite(answer), finite(value)
        ok = target is not None and number is not None and abs(number - target) <= tolerance + 1e-9
        key = "correct" if ok else "incorrect"
        return ok, [str(feedback[key])] if key in feedback else []


@register
class ComputedKind(NumericKind):
    """A number the student's code computed (recorded by the item); scored like numeric."""

    name = "computed"
    class_name = "ComputedAnswer"
    args = frozenset({"unit", "value"})
    minutes = 6.0
    has_work = True
