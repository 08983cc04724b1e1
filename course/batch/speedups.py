"""Speed-ups for a long-lived nbgrader process that change no result.

nbgrader is written for one process per command, so each gradebook access
builds a new SQLAlchemy engine (losing the engine's cache of compiled
queries) and each cell-metadata check re-validates nbgrader's JSON schema
itself before validating the cell. In a worker that grades hundreds of
students these two costs are about half of the time of a student graded
without execution. :func:`install` makes both reusable:

* ``nbgrader.api.create_engine`` returns one engine per database URL. A
  closed ``Gradebook`` still disposes of it, which closes its connections;
  the next use opens new ones, so no connection or lock outlives a student.
* nbgrader's schema check keeps one compiled validator per schema and
  reports the same error ``jsonschema.validate`` would (its best match).

Only :mod:`course.batch.worker` calls :func:`install`.

:func:`skip_unused_imports`, called first thing by the ``course`` command and
by each grading worker, keeps out a module no course code uses but an import
would load anyway, at a cost of about a second per process.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

__all__ = ["UNUSED_IMPORTS", "install", "skip_unused_imports"]

#: Modules an import would load that nothing in the course uses: ``jsonschema``
#: imports ``rfc3987_syntax`` when it is installed (``jupyter-events`` asks for
#: jsonschema's format extra), and it builds a parser at import, about 1.3 s of
#: every process's start. It only checks the ``iri`` formats, which neither the
#: notebook format, nbgrader's metadata schema nor the course's schemas use.
UNUSED_IMPORTS = ("rfc3987_syntax",)


def skip_unused_imports() -> None:
    """Keep :data:`UNUSED_IMPORTS` out of this process (a later import of them fails softly).

    Call it before anything imports ``jsonschema``; once imported, a module
    stays.
    """
    for name in UNUSED_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


class _SchemaValidation:
    """Stand-in for the ``jsonschema`` module inside nbgrader's metadata checks."""

    def __init__(self) -> None:
        import jsonschema

        self._jsonschema = jsonschema
        self.ValidationError = jsonschema.ValidationError
        self._validators: dict[int, Any] = {}
        self._fast: dict[int, Any] = {}

    def validate(self, instance: Any, schema: dict) -> None:
        """Validate as ``jsonschema.validate`` does, checking each schema once.

        A compiled check (``fastjsonschema``, which nbformat uses too) passes
        valid metadata quickly; anything it rejects is checked again by
        ``jsonschema``, whose best-match error is the one raised, so the
        errors are ``jsonschema.validate``'s.
        """
        fast = self._fast.get(id(schema))
        if fast is None:
            import fastjsonschema

            fast = self._fast[id(schema)] = fastjsonschema.compile(schema)
        try:
            fast(instance)
            return
        except Exception:  # rejected (or not checkable): jsonschema decides
            pass
        validator = self._validators.get(id(schema))
        if validator is None:
            cls = self._jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = self._validators[id(schema)] = cls(schema)
        error = self._jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error


def install() -> None:
    """Make gradebook engines and schema validators reusable in this process."""
    import nbgrader.api
    import nbgrader.nbgraderformat.common as common

    if getattr(nbgrader.api.create_engine, "course_reused", False):
        return
    create = nbgrader.api.create_engine

    @functools.lru_cache(maxsize=8)
    def reused_engine(url: str, **kwargs: Any) -> Any:
        return create(url, **kwargs)

    reused_engine.course_reused = True  # type: ignore[attr-defined]
    nbgrader.api.create_engine = reused_engine
    common.jsonschema = _SchemaValidation()
