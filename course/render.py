"""Static renderings of an item: the question, the saved answer and, on request, its score.

Widgets need a running kernel and a widget manager. Everywhere else (an
exported notebook, a notebook reopened without its kernel, the feedback a
student gets after grading) an item is drawn by these pure functions instead.
They never import ipywidgets and never read a file. What an item shows
besides its prompt and answer (options, a passage, a unit) is up to its kind
(:mod:`course.kinds`).

Nothing here knows the answer key. A score and the correct answer are shown
only when the caller passes a grader :class:`~course.grading.score.Result`:
the verdict and points when ``result`` is given, the correct answer and the
explanation only when ``reveal=True`` as well.

Examples
--------
>>> from course.items.spec import ItemSpec
>>> spec = ItemSpec.build("single_choice", id="m00-x", prompt="Pick one",
...                       options={"a": "Apples", "b": "Pears"}, points=1)
>>> print(render_text(spec, "b"))
m00-x · 1 point
Pick one
Options:
  a) Apples
  b) Pears
Your answer: b) Pears
"""

from __future__ import annotations

import datetime as _dt
import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .describe import describe_answer
from .items.spec import ItemSpec
from .kinds import get_kind
from .kinds.phrases import passage_html, passage_text, phrase_order

if TYPE_CHECKING:
    from .grading.score import Result

__all__ = [
    "VERDICT_WORDS",
    "entry_order",
    "format_points",
    "format_saved_at",
    "passage_html",
    "passage_text",
    "phrase_order",
    "points_label",
    "render_html",
    "render_text",
    "replace_score",
    "saved_verdict",
    "score_html",
    "score_text",
]

#: The verdict of a :class:`Result` in words (never shown by colour alone).
VERDICT_WORDS: dict[str, str] = {
    "correct": "correct",
    "partial": "partly correct",
    "incorrect": "incorrect",
    "unanswered": "no answer saved",
    "unreadable": "the saved answer could not be read",
}


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def format_points(value: float) -> str:
    """Return a score or a number of points rounded to 2 decimals, without trailing zeros.

    Every score a student or a grader reads is written this way.

    >>> [format_points(v) for v in (1, 1.0, 0.6667, 2.5, 1.3333, 0.005, 19.999)]
    ['1', '1', '0.67', '2.5', '1.33', '0.01', '20']
    """
    text = f"{round(float(value), 2) + 0.0:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def points_label(spec: ItemSpec) -> str:
    """Return how much the item is worth, in words.

    >>> points_label(ItemSpec.build("numeric", id="m00-n", prompt="How many?", points=1.5))
    '1.5 points'
    """
    if spec.practice is not None:
        return "Practice — not graded"
    if spec.points == 1:
        return "1 point"
    return f"{format_points(spec.points)} points"


def _parse_saved_at(saved_at: Any) -> _dt.datetime | None:
    if isinstance(saved_at, _dt.datetime):
        moment = saved_at
    elif isinstance(saved_at, str) and len(saved_at) <= 64:
        try:
            moment = _dt.datetime.fromisoformat(saved_at.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:  # None, or anything a hostile answers file holds
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    try:
        return moment.astimezone()
    except (OverflowError, ValueError, OSError):  # a year 1 or 9999 time next to midnight
        return None


def format_saved_at(saved_at: str | _dt.datetime | None, *, now: _dt.datetime | None = None) -> str:
    """Return a save time as local ``HH:MM``, with the date when it is not today.

    Parameters
    ----------
    saved_at : str or datetime or None
        An ISO 8601 time such as the answers file's ``saved_at`` (UTC, ``Z``).
    now : datetime, optional
        The moment to compare with (default: now).

    Returns
    -------
    str
        ``"14:03"`` for today, ``"2026-11-23 14:03"`` otherwise, ``""`` if unknown.
    """
    moment = _parse_saved_at(saved_at)
    if moment is None:
        return ""
    today = (now or _dt.datetime.now(_dt.UTC)).astimezone().date()
    if moment.date() == today:
        return moment.strftime("%H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def entry_order(spec: ItemSpec, order: Sequence[str] | None = None) -> list[str]:
    """Return the order in which a static rendering lists an item's options.

    Each kind says (:meth:`course.kinds.ItemKind.entry_order`): choice options
    are listed in authored order and phrases in passage order. Ordering
    entries are listed in ``order`` (the order a student was shown) if it is
    a list naming each entry exactly once, otherwise alphabetically by text,
    since the authored order may be the answer. Any other ``order`` (say,
    read from a hostile answers file) is ignored.
    """
    kind = get_kind(spec.kind)
    return kind.entry_order(spec, order) if kind is not None else list(spec.options)


def _question_parts(spec: ItemSpec, order: Sequence[str] | None) -> list[tuple[str, list[str]]]:
    """Return the question's lists as (heading, entries), shared by both renderers."""
    kind = get_kind(spec.kind)
    return kind.question_parts(spec, order) if kind is not None else []


def _question_lines(spec: ItemSpec) -> list[tuple[str, str]]:
    """Return the (label, text) lines after the question's lists, such as a unit."""
    kind = get_kind(spec.kind)
    return kind.question_lines(spec) if kind is not None else []


def score_text(points: float, max_points: float, words: str | None = None) -> str:
    """Return an item's score line, such as ``Score: 0.67 / 1 (partly correct)``.

    >>> score_text(2 / 3, 1, VERDICT_WORDS["partial"])
    'Score: 0.67 / 1 (partly correct)'
    """
    line = f"Score: {format_points(points)} / {format_points(max_points)}"
    return f"{line} ({words})" if words else line


def score_html(
    points: float, max_points: float, words: str | None = None, *, verdict: str | None = None
) -> str:
    """Return the score line of :func:`score_text` as the ``<p class="ce-score">`` of an item.

    ``verdict`` (a key of :data:`VERDICT_WORDS`) is kept in a ``data-verdict``
    attribute, so the line can be restated later with another score
    (:func:`replace_score`) without losing it.
    """
    attribute = f' data-verdict="{_esc(verdict)}"' if verdict else ""
    return (
        f'<p class="ce-score"{attribute}><strong>'
        f"{_esc(score_text(points, max_points, words))}</strong></p>"
    )


#: The score line of a rendering made by :func:`score_html` (its text is escaped, so no ``<``).
_SCORE_HTML = re.compile(
    r'<p class="ce-score"(?: data-verdict="([^"<>]*)")?><strong>([^<]*)</strong></p>'
)
#: The score line of a rendering made by :func:`render_text`.
_SCORE_TEXT = re.compile(r"^Score: [^\n]*$", re.MULTILINE)


def saved_verdict(rendering: str) -> str | None:
    """Return the verdict of the score line of a :func:`render_html` rendering, if any.

    Read from the line's ``data-verdict``, else (a rendering made before that
    attribute existed) from its words.

    >>> saved_verdict('<p class="ce-score"><strong>Score: 0 / 1 (incorrect)</strong></p>')
    'incorrect'
    """
    found = _SCORE_HTML.search(rendering)
    if not found:
        return None
    if found.group(1):
        return found.group(1)
    words = html.unescape(found.group(2)).rpartition(" (")[2].removesuffix(")")
    return next((key for key, said in VERDICT_WORDS.items() if said == words), None)


def replace_score(rendering: str, line: str, *, html_line: bool = True) -> tuple[str, bool]:
    """Replace the score line of a rendering by ``line``.

    Parameters
    ----------
    rendering : str
        What :func:`render_html` (``html_line=True``) or :func:`render_text`
        (``html_line=False``) returned.
    line : str
        The new line, from :func:`score_html` or :func:`score_text`.
    html_line : bool, default True
        Whether ``rendering`` is HTML.

    Returns
    -------
    tuple of (str, bool)
        The rendering and whether it had a score line to replace.
    """
    pattern = _SCORE_HTML if html_line else _SCORE_TEXT
    new, count = pattern.subn(lambda _: line, rendering, count=1)
    return new, bool(count)


def _score_words(result: Result) -> str:
    return VERDICT_WORDS.get(result.verdict, result.verdict)


def render_html(
    spec: ItemSpec,
    value: Any,
    *,
    result: Result | None = None,
    reveal: bool = False,
    saved_at: str | _dt.datetime | None = None,
    order: Sequence[str] | None = None,
) -> str:
    """Return an item, its saved answer and (optionally) its score as accessible HTML.

    Parameters
    ----------
    spec : ItemSpec
        What the item asks.
    value : JSON-compatible or None
        The saved answer (None if there is none).
    result : Result, optional
        The grader's result. When given, the score and verdict are shown in words.
    reveal : bool, default False
        Also show ``result.correct_text`` and ``result.explanation``. Has no
        effect without ``result``.
    saved_at : str or datetime, optional
        When the answer was saved (shown as local time).
    order : sequence of str, optional
        For ordering items: the order the student was shown.

    Returns
    -------
    str
        A ``<fieldset>`` whose every text is escaped.
    """
    parts = [
        f'<fieldset class="ce-item ce-static" data-item-id="{_esc(spec.id)}" '
        f'data-kind="{_esc(spec.kind)}">',
        f"<legend><strong>{_esc(spec.id)}</strong> · {_esc(points_label(spec))}</legend>",
        f'<p class="ce-prompt">{_esc(spec.prompt)}</p>',
    ]
    kind = get_kind(spec.kind)
    if kind is not None:
        parts.extend(kind.question_html(spec))
    for heading, entries in _question_parts(spec, order):
        # Unnumbered lists: the listing order is never the answer.
        parts.append(f"<p><strong>{_esc(heading)}:</strong></p>")
        parts.append("<ul>" + "".join(f"<li>{_esc(e)}</li>" for e in entries) + "</ul>")
    for label, text in _question_lines(spec):
        parts.append(f"<p><strong>{_esc(label)}:</strong> {_esc(text)}</p>")
    answer = _esc(describe_answer(spec, value))
    parts.append(f'<p class="ce-answer"><strong>Your answer:</strong> {answer}</p>')
    when = format_saved_at(saved_at)
    if when and value is not None:
        parts.append(f'<p class="ce-saved">Saved {_esc(when)}</p>')
    if result is not None:
        parts.append(
            score_html(
                result.points, result.max_points, _score_words(result), verdict=result.verdict
            )
        )
        notes = [*result.details, *result.problems]
        if notes:
            parts.append("<ul>" + "".join(f"<li>{_esc(n)}</li>" for n in notes) + "</ul>")
        if reveal:
            if result.correct_text:
                parts.append(
                    f'<p class="ce-correct"><strong>Correct answer:</strong> '
                    f"{_esc(result.correct_text)}</p>"
                )
            if result.explanation:
                parts.append(
                    f'<p class="ce-explanation"><strong>Explanation:</strong> '
                    f"{_esc(result.explanation)}</p>"
                )
    parts.append("</fieldset>")
    return "\n".join(parts)


def render_text(
    spec: ItemSpec,
    value: Any,
    *,
    result: Result | None = None,
    reveal: bool = False,
    saved_at: str | _dt.datetime | None = None,
    order: Sequence[str] | None = None,
) -> str:
    """Return an item, its saved answer and (optionally) its score as plain text.

    Parameters are those of :func:`render_html`.

    Returns
    -------
    str
        Several lines, without a trailing newline.
    """
    lines = [f"{spec.id} · {points_label(spec)}", spec.prompt]
    kind = get_kind(spec.kind)
    if kind is not None:
        lines.extend(kind.question_text(spec))
    for heading, entries in _question_parts(spec, order):
        lines.append(f"{heading}:")
        lines.extend(f"  {entry}" for entry in entries)
    lines.extend(f"{label}: {text}" for label, text in _question_lines(spec))
    lines.append(f"Your answer: {describe_answer(spec, value)}")
    when = format_saved_at(saved_at)
    if when and value is not None:
        lines.append(f"Saved {when}")
    if result is not None:
        lines.append(score_text(result.points, result.max_points, _score_words(result)))
        lines.extend(f"  - {note}" for note in [*result.details, *result.problems])
        if reveal:
            if result.correct_text:
                lines.append(f"Correct answer: {result.correct_text}")
            if result.explanation:
                lines.append(f"Explanation: {result.explanation}")
    return "\n".join(lines)
