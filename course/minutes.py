"""How long a module takes: a read-through model of the student's time, per module.

A module's stated ``minutes`` (front matter) is checked against a model of
one careful read-through of the built notebook, the way a student meets it:

* every word of Markdown (the header, the prose, the essay quotes, the footer)
  and of each item's prompt and options, read at :data:`READING_WPM`;
* every other code cell read and run, :data:`CODE_CELL_MINUTES` each;
* thinking time per item, by kind (each kind's
  :attr:`~course.kinds.ItemKind.minutes`; a classification adds
  :data:`PER_STATEMENT_MINUTES` per statement);
* writing time for each written answer, :data:`WRITTEN_MINUTES_PER_POINT`
  per point.

The reading rate is the lower end of the range most adults fall in when
reading English non-fiction silently for comprehension (175 to 300 words per
minute; the mean is 238), from M. Brysbaert, "How many words do we read per
minute? A review and meta-analysis of reading rate", *Journal of Memory and
Language* 109 (2019), 104047, https://doi.org/10.1016/j.jml.2019.104047. The
slower end suits students reading an argument closely, with a source beside
it. The other allowances are the course's own and are listed in the
authoring guide ("Estimated time").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import nbformat

from .build import build_notebook, cell_items
from .items.spec import ItemSpec
from .kinds import get_kind
from .kinds.classification import PER_STATEMENT_MINUTES
from .lessons import Lesson

__all__ = [
    "CODE_CELL_MINUTES",
    "PER_STATEMENT_MINUTES",
    "READING_WPM",
    "TOLERANCE",
    "WRITTEN_MINUTES_PER_POINT",
    "MinutesEstimate",
    "estimate_minutes",
]

#: Words per minute for careful silent reading (Brysbaert 2019: most adults 175–300).
READING_WPM = 175
#: Reading and running a code cell that is not an item (an example, a table, a chart).
CODE_CELL_MINUTES = 1.0
#: Writing time per point of a written answer (a 3-point answer: 12 minutes).
WRITTEN_MINUTES_PER_POINT = 4.0
#: How far the stated minutes may be from the estimate, as a fraction of it.
TOLERANCE = 0.25

_WORD = re.compile(r"[^\W_]+(?:[’'-][^\W_]+)*", re.UNICODE)
_FENCE = re.compile(r"```.*?```", re.DOTALL)
_MARKUP = re.compile(r"<[^>]+>|\]\([^)]*\)")


def _words(text: str) -> int:
    return len(_WORD.findall(_MARKUP.sub(" ", _FENCE.sub(" ", text))))


def _item_words(spec: ItemSpec) -> int:
    texts = [spec.prompt, *spec.options.values(), *spec.statements.values()]
    texts += list(spec.categories.values()) if spec.categories else []
    return sum(_words(t) for t in texts)


def _item_minutes(spec: ItemSpec) -> float:
    kind = get_kind(spec.kind)
    return kind.thinking_minutes(spec) if kind is not None else 1.0


@dataclass(frozen=True)
class MinutesEstimate:
    """The read-through model's minutes for one module, part by part."""

    module: str
    stated: int
    words: int
    reading: float
    items: float
    code: float
    writing: float

    @property
    def total(self) -> float:
        """Minutes for the whole read-through."""
        return self.reading + self.items + self.code + self.writing

    @property
    def suggested(self) -> int:
        """The estimate rounded up to a multiple of 5 minutes."""
        return max(5, 5 * math.ceil(self.total / 5))

    @property
    def within_tolerance(self) -> bool:
        """True when the stated minutes are within :data:`TOLERANCE` of the estimate."""
        return abs(self.stated - self.total) <= TOLERANCE * self.total

    def describe(self) -> str:
        """Return the parts in words, for messages."""
        return (
            f"reading {self.reading:.0f} ({self.words} words at {READING_WPM} a minute), "
            f"items {self.items:.0f}, code cells {self.code:.0f}, writing {self.writing:.0f}"
        )


def estimate_minutes(lesson: Lesson, nb: nbformat.NotebookNode | None = None) -> MinutesEstimate:
    """Estimate the minutes a careful student needs for ``lesson``.

    Parameters
    ----------
    lesson : Lesson
        The module.
    nb : NotebookNode, optional
        Its built notebook (:func:`course.build.build_notebook`), if already built.
    """
    nb = nb if nb is not None else build_notebook(lesson)
    words = 0
    items = 0.0
    code = 0.0
    writing = 0.0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown":
            if meta.get("grade") and meta.get("solution"):
                writing += WRITTEN_MINUTES_PER_POINT * float(meta.get("points", 0))
            else:
                words += _words(cell.source)
            continue
        specs = cell_items(cell)
        if specs:
            for spec in specs:
                words += _item_words(spec)
                items += _item_minutes(spec)
        elif not meta.get("solution"):
            code += CODE_CELL_MINUTES
    return MinutesEstimate(
        module=lesson.id,
        stated=lesson.minutes,
        words=words,
        reading=words / READING_WPM,
        items=items,
        code=code,
        writing=writing,
    )
