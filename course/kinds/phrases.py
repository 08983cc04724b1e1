"""Phrase selection: the phrases of a passage a student selects, scored like multiple choice.

The passage is drawn with each phrase numbered in passage order
(:func:`phrase_order`); the widget and the static renderings
(:mod:`course.render`) share these functions.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._base import register
from .multiple import MultipleChoiceKind

if TYPE_CHECKING:
    from ..items.spec import ItemSpec

__all__ = ["PhraseSelectionKind", "passage_html", "passage_text", "phrase_order"]


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _phrase_spans(spec: ItemSpec) -> tuple[list[tuple[int, int, str]], list[str]]:
    """Place each phrase at its first occurrence that overlaps no longer phrase.

    Returns the placed spans ``(start, end, phrase id)`` in passage order and
    the ids of phrases that could not be placed without overlapping.
    """
    taken: list[tuple[int, int, str]] = []
    unplaced: list[str] = []
    for pid, phrase in sorted(spec.options.items(), key=lambda kv: -len(kv[1])):
        start = spec.passage.find(phrase)
        while start != -1 and any(
            start < end and begin < start + len(phrase) for begin, end, _ in taken
        ):
            start = spec.passage.find(phrase, start + 1)
        if start == -1:
            unplaced.append(pid)
        else:
            taken.append((start, start + len(phrase), pid))
    authored = list(spec.options)
    unplaced.sort(key=authored.index)
    return sorted(taken), unplaced


def phrase_order(spec: ItemSpec) -> list[str]:
    """Return a phrase-selection item's phrase ids in the order they appear in the passage."""
    spans, unplaced = _phrase_spans(spec)
    return [pid for _, _, pid in spans] + unplaced


def passage_html(spec: ItemSpec) -> str:
    """Return the passage as escaped HTML, each phrase in ``<mark>`` and numbered.

    The numbers follow :func:`phrase_order`, so ``[1]`` is the first phrase in
    the passage.
    """
    spans, _ = _phrase_spans(spec)
    numbers = {pid: n for n, pid in enumerate(phrase_order(spec), start=1)}
    out: list[str] = []
    pos = 0
    for start, end, pid in spans:
        out.append(_esc(spec.passage[pos:start]))
        out.append(
            f'<mark data-phrase="{_esc(pid)}">{_esc(spec.passage[start:end])}</mark>'
            f"<sup>[{numbers[pid]}]</sup>"
        )
        pos = end
    out.append(_esc(spec.passage[pos:]))
    return "".join(out)


def passage_text(spec: ItemSpec) -> str:
    """Return the passage as plain text, each phrase shown as ``[n: phrase]``."""
    spans, _ = _phrase_spans(spec)
    numbers = {pid: n for n, pid in enumerate(phrase_order(spec), start=1)}
    out: list[str] = []
    pos = 0
    for start, end, pid in spans:
        out.append(spec.passage[pos:start])
        out.append(f"[{numbers[pid]}: {spec.passage[start:end]}]")
        pos = end
    out.append(spec.passage[pos:])
    return "".join(out)


@register
class PhraseSelectionKind(MultipleChoiceKind):
    """A list of phrase ids from a passage; scored as a multiple choice over the phrases."""

    name = "phrase_selection"
    cue_checked = False  # phrases are read in the passage, not weighed as options
    class_name = "PhraseSelection"
    args = frozenset({"passage", "phrases", "source"})
    id_word = "phrase"

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

    def label(self, spec: ItemSpec, option_id: str) -> str:
        """A phrase is shown as “text”."""
        return f"“{spec.options.get(option_id, option_id)}”"

    def entry_order(self, spec: ItemSpec, order: Sequence[str] | None = None) -> list[str]:
        """Phrases are listed in passage order."""
        return phrase_order(spec)

    def question_parts(
        self, spec: ItemSpec, order: Sequence[str] | None = None
    ) -> list[tuple[str, list[str]]]:
        numbered = [f"[{n}] {spec.options[pid]}" for n, pid in enumerate(phrase_order(spec), 1)]
        return [("Phrases", numbered)]

    def question_html(self, spec: ItemSpec) -> list[str]:
        source = f" ({_esc(spec.source)})" if spec.source else ""
        return [
            f"<p><strong>Passage{source}:</strong></p>",
            f'<blockquote class="ce-passage">{passage_html(spec)}</blockquote>',
        ]

    def question_text(self, spec: ItemSpec) -> list[str]:
        source = f" ({spec.source})" if spec.source else ""
        return [f"Passage{source}: {passage_text(spec)}"]
