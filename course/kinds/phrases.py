"""Phrase selection: the phrases of a passage a student selects, scored like multiple choice."""

from __future__ import annotations

from typing import Any

from ._base import register
from .multiple import MultipleChoiceKind

__all__ = ["PhraseSelectionKind"]


@register
class PhraseSelectionKind(MultipleChoiceKind):
    """A list of phrase ids from a passage; scored as a multiple choice over the phrases."""

    name = "phrase_selection"
    class_name = "PhraseSelection"
    args = frozenset({"passage", "phrases", "source"})

    def spec_problem(self, fields: dict[str, Any]) -> str | None:
        phrases, passage = fields["phrases"], fields["passage"]
        if len(phrases) < 2:
            return "phrase selection needs at least two phrases"
        if not isinstance(passage, str) or not passage.strip():
            return "phrase selection needs a passage"
        for pid, phrase in phrases.items():
            if phrase not in passage:
                return f"phrase {pid!r} ({phrase!r}) is not in the passage"
        return None

    def spec_options(self, fields: dict[str, Any]) -> dict[str, str]:
        """A phrase selection's options are its phrases."""
        return dict(fields["phrases"])
