"""Claims & Evidence: a source-criticism course in Jupyter.

Students use :mod:`course.items` (exercise widgets), :mod:`course.data`
(sourced datasets), :mod:`course.forecasts` (locked forecasts and Brier
scores) and :func:`pack_button` (a button that packs a notebook and its
answers for an LMS; :func:`pack_submission` does the same from code).
Instructors use the ``course`` command (:mod:`course.cli`). Imports are lazy
so that ``import course`` stays fast in a student's kernel.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "data", "forecasts", "items", "pack_button", "pack_submission"]


def __getattr__(name: str) -> Any:
    if name in {"data", "forecasts", "items"}:
        return importlib.import_module(f".{name}", __name__)
    if name in {"pack_button", "pack_submission"}:
        from . import pack

        return getattr(pack, name)
    raise AttributeError(f"module 'course' has no attribute {name!r}")
