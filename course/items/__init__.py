"""Exercise widgets for the lessons: each item saves every change to the answers file.

Run :func:`start` once, in a lesson's setup cell, then create items::

    from course.items import start, SingleChoice
    start("01-close-reading")
    q = SingleChoice(id="m01-thesis", prompt="...", options={...}, points=2)
    q

Every item restores its saved answer when its cell runs again, saves each
change at once through :class:`course.answers.AnswerBook`, and shows when it
last saved. Graded items never show whether an answer is right; practice
items do, at once. A :class:`Forecast` is locked by the student, and its
first locked value is the one that counts.

Every widget is an :class:`Item` holding only its controls; what its values
mean belongs to its kind (:mod:`course.kinds`). The authoring guide's
"Adding an item kind" says how to add one.

The widget classes are loaded on first use, so importing
:mod:`course.items.spec` (as the grader does) never imports ipywidgets. A
widget in a module of this package that is not listed here (a new kind's)
is found by its name in that module's ``__all__``.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

__all__ = [
    "Classification",
    "ComputedAnswer",
    "Forecast",
    "Item",
    "MultipleChoice",
    "Numeric",
    "Ordering",
    "PhraseSelection",
    "SingleChoice",
    "show_saved",
    "start",
]

_WHERE = {
    "start": "._base",
    "show_saved": "._base",
    "Item": "._base",
    "SingleChoice": ".single",
    "MultipleChoice": ".multiple",
    "Numeric": ".numeric",
    "Classification": ".classification",
    "Ordering": ".ordering",
    "PhraseSelection": ".phrases",
    "ComputedAnswer": ".computed",
    "Forecast": ".forecast",
}

if TYPE_CHECKING:  # pragma: no cover
    from ._base import Item, show_saved, start
    from .classification import Classification
    from .computed import ComputedAnswer
    from .forecast import Forecast
    from .multiple import MultipleChoice
    from .numeric import Numeric
    from .ordering import Ordering
    from .phrases import PhraseSelection
    from .single import SingleChoice


def _find(name: str) -> str | None:
    """Return the module of this package whose ``__all__`` names ``name``, or None."""
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("_") or module.name == "spec":
            continue
        where = f".{module.name}"
        if name in getattr(importlib.import_module(where, __name__), "__all__", ()):
            return where
    return None


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    where = _WHERE.get(name) or (None if name.startswith("_") else _find(name))
    if where is not None:
        value = getattr(importlib.import_module(where, __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
