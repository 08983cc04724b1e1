"""Describe a saved answer in words, for the student's own view and for feedback.

Student-side and grader-side code both use :func:`describe_answer`; it needs
no key and imports nothing from the grader, so a student's kernel can draw a
saved answer without loading :mod:`course.grading` or :mod:`course.keys`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .answers import short_repr
from .items.spec import ItemSpec

__all__ = ["describe_answer"]


def _ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


def _label(spec: ItemSpec, option_id: str) -> str:
    text = spec.options.get(option_id, option_id)
    return f"{option_id}) {text}" if spec.kind != "phrase_selection" else f"“{text}”"


def _number_text(value: Any) -> str:
    """Return a number as ``%g`` text, or a short description if it is beyond float range."""
    try:
        return f"{float(value):g}"
    except (OverflowError, TypeError, ValueError):
        return short_repr(value)


def _text(value: Any) -> str:
    """Return a string as it is and anything else as a short description."""
    return value if isinstance(value, str) else short_repr(value)


def describe_answer(spec: ItemSpec, value: Any) -> str:
    """Return a plain-text description of a saved value for this item.

    Any value gets a description (a value of the wrong shape is described
    briefly, as data); this never raises.
    """
    if value is None:
        return "(no answer saved)"
    if spec.kind == "single_choice" and isinstance(value, str):
        return _label(spec, value)
    if spec.kind in {"multiple_choice", "phrase_selection"} and isinstance(value, list):
        return "; ".join(_label(spec, v) for v in value if isinstance(v, str)) or "(none selected)"
    if spec.kind == "ordering" and isinstance(value, list):
        return " → ".join(
            spec.options.get(v, v) if isinstance(v, str) else short_repr(v) for v in value
        )
    if spec.kind == "classification" and isinstance(value, Mapping):
        parts = []
        for sid, text in spec.statements.items():
            cat = value.get(sid)
            label = spec.categories.get(cat) if isinstance(cat, str) else None
            if label is None:
                label = "(not classified)" if cat is None else f"{_text(cat)} (not a category)"
            parts.append(f"{text} → {label}")
        return "; ".join(parts)
    if (
        spec.kind in {"numeric", "computed"}
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return f"{_number_text(value)} {spec.unit}".strip()
    if spec.kind == "forecast" and isinstance(value, Mapping):
        state = "locked" if value.get("locked") is True else "not locked"
        reason = value.get("reason")
        reason = "" if reason is None else _text(reason).strip()
        probability = value.get("probability")
        if isinstance(probability, int | float) and not isinstance(probability, bool):
            text = f"{_number_text(probability)}% ({state})"
        else:
            text = f"{short_repr(probability)} as the probability ({state})"
        return f"{text}: {reason}" if reason else text
    return short_repr(value, 200)
