"""Item kinds: one small class per kind, in a module of its own, found through a registry.

Each kind says what its saved values mean, independent of the widget that
records them: which values it stores
(:meth:`~course.kinds._base.ItemKind.coerce`), how a value is described in
words (:meth:`~course.kinds._base.ItemKind.describe`) and drawn, and how it
is scored against a key (:meth:`~course.kinds._base.ItemKind.score`). Code that needs a kind's
behaviour asks :func:`get_kind` instead of testing the kind's name.

Importing this package registers every kind: each module of the package
whose name does not start with ``_`` is imported, so a new kind needs only
its own module. It loads no grader code.
"""

from __future__ import annotations

import importlib
import pkgutil

from . import classification, forecast, multiple, numeric, ordering, phrases, single
from ._base import ChoiceKind, ItemKind, Scored, get_kind, kinds, register, registered, unregister

__all__ = [
    "ChoiceKind",
    "ItemKind",
    "Scored",
    "classification",
    "forecast",
    "get_kind",
    "kinds",
    "multiple",
    "numeric",
    "ordering",
    "phrases",
    "register",
    "registered",
    "single",
    "unregister",
]

# Every other kind module of the package registers itself on import.
for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f".{_module.name}", __name__)
