"""Phrase selection: the phrases of a passage a student selects, scored like multiple choice."""

from __future__ import annotations

from ._base import register
from .multiple import MultipleChoiceKind

__all__ = ["PhraseSelectionKind"]


@register
class PhraseSelectionKind(MultipleChoiceKind):
    """A list of phrase ids from a passage; scored as a multiple choice over the phrases."""

    name = "phrase_selection"
