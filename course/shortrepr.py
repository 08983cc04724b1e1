"""Short, safe descriptions of any value, for messages.

This is a leaf module: it imports nothing from the course.

:mod:`course.answers` re-exports :func:`short_repr`; the item kinds
(:mod:`course.kinds`) import it from here, so that :mod:`course.answers` can
ask the kinds registry without an import cycle.
"""

from __future__ import annotations

import math
import reprlib
from typing import Any

__all__ = ["digits", "short_repr"]


def digits(value: int) -> int:
    """Return how many decimal digits an integer has, without writing it out (any size)."""
    if value.bit_length() < 13_000:  # str() of a longer int may hit Python's digit limit
        return len(str(abs(value)))
    return int(value.bit_length() * math.log10(2)) + 1


class _ShortRepr(reprlib.Repr):
    """reprlib's bounded repr, which also names huge integers instead of printing them."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 2
        self.maxstring = 40
        self.maxother = 40
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = 4

    def repr_int(self, x: int, level: int) -> str:
        if -(10**15) < x < 10**15:
            return repr(x)
        return f"<an integer of {digits(x):,} digits>"


_short = _ShortRepr()


def short_repr(value: Any, limit: int = 60) -> str:
    """Return a short, safe description of any value, for messages.

    Nesting, long lists and long text are cut (``...``) and huge integers are
    named by their number of digits, so describing a hostile value never
    raises and never floods a message.

    >>> short_repr([[[[1]]]])
    '[[[...]]]'
    >>> short_repr(10**500)
    '<an integer of 501 digits>'
    """
    try:
        text = _short.repr(value)
    except Exception:  # a broken __repr__ of some Python object
        text = f"<a {type(value).__name__}>"
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."
