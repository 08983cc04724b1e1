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
* nbgrader's schema check compiles each distinct schema once (nbgrader
  loads its schema again for every validator it makes) and reports the
  same error ``jsonschema.validate`` would (its best match).

Only :mod:`course.batch.worker` calls :func:`install`.

:func:`skip_unused_imports`, called first thing by the ``course`` command and
by each grading worker, keeps out a module no course code uses but an import
would load anyway, at a cost of about a second per process.
"""

from __future__ import annotations

import collections
import copy
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


class _Checks:
    """The two checks of one schema: compiled (fast) and ``jsonschema``'s (for errors)."""

    def __init__(self, schema: dict) -> None:
        import fastjsonschema

        self.schema = copy.deepcopy(schema)  # our own: a caller's later change cannot reach it
        self.fast = fastjsonschema.compile(self.schema)
        self.slow: Any = None


class _SchemaValidation:
    """Stand-in for the ``jsonschema`` module inside nbgrader's metadata checks."""

    #: How many recently seen schema objects are remembered by identity.
    RECENT = 32

    def __init__(self) -> None:
        import jsonschema

        self._jsonschema = jsonschema
        self.ValidationError = jsonschema.ValidationError
        self._known: list[_Checks] = []
        self._recent: collections.OrderedDict[int, tuple[dict, _Checks]] = collections.OrderedDict()

    def _checks(self, schema: dict) -> _Checks:
        """The checks of a schema equal to ``schema``, compiled once per distinct schema.

        nbgrader loads its schema afresh for every validator it makes (twice
        per notebook), so schemas are told apart by content. The identity of
        recent ones is a shortcut; each is kept referenced while remembered,
        so its ``id`` cannot be reused by another object meanwhile.
        """
        seen = self._recent.get(id(schema))
        if seen is not None and seen[0] is schema:
            self._recent.move_to_end(id(schema))
            return seen[1]
        checks = next((c for c in self._known if c.schema == schema), None)
        if checks is None:
            checks = _Checks(schema)
            self._known.append(checks)
        self._recent[id(schema)] = (schema, checks)
        while len(self._recent) > self.RECENT:
            self._recent.popitem(last=False)
        return checks

    def validate(self, instance: Any, schema: dict) -> None:
        """Validate as ``jsonschema.validate`` does, checking each schema once.

        A compiled check (``fastjsonschema``, which nbformat uses too) passes
        valid metadata quickly; anything it rejects is checked again by
        ``jsonschema``, whose best-match error is the one raised, so the
        errors are ``jsonschema.validate``'s.
        """
        checks = self._checks(schema)
        try:
            checks.fast(instance)
            return
        except Exception:  # rejected (or not checkable): jsonschema decides
            pass
        if checks.slow is None:
            cls = self._jsonschema.validators.validator_for(checks.schema)
            cls.check_schema(checks.schema)
            checks.slow = cls(checks.schema)
        error = self._jsonschema.exceptions.best_match(checks.slow.iter_errors(instance))
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
