"""Describe a saved answer in words, for the student's own view and for feedback.

Student-side and grader-side code both use :func:`describe_answer`; it needs
no key and imports nothing from the grader, so a student's kernel can draw a
saved answer without loading :mod:`course.grading` or :mod:`course.keys`.
"""

from __future__ import annotations

from typing import Any

from .answers import short_repr
from .items.spec import ItemSpec
from .kinds import get_kind

__all__ = ["describe_answer"]


def describe_answer(spec: ItemSpec, value: Any) -> str:
    """Return a plain-text description of a saved value for this item.

    Each item kind describes values of its own shape (:mod:`course.kinds`);
    any other value is described briefly, as data. This never raises.
    """
    if value is None:
        return "(no answer saved)"
    kind = get_kind(spec.kind)
    text = kind.describe(spec, value) if kind is not None else None
    return text if text is not None else short_repr(value, 200)
