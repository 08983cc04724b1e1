"""What every exercise widget shares: saving, restoring, shuffling, status and feedback.

An item is an :class:`ipywidgets.VBox` holding, top to bottom: the prompt
(with the item id and its points), the item's own controls, a note line (for
input problems), the saved indicator and, for practice items only, the
feedback line.

How the parts are wired
-----------------------
``value`` is a Python-side trait (not synced to the browser) holding the
current answer in its stored shape, or None.

1. On construction the saved record is read with :meth:`AnswerBook.get`. A
   valid saved value is put in ``value`` and the controls *before* any
   observer is attached, so construction never writes.
2. Then two kinds of observers are attached: each control's observer reads
   all controls into one value and assigns ``self.value``; the ``value``
   observer writes the controls (unless the change came from them), records
   the answer through :meth:`AnswerBook.record` and updates the feedback.
3. Assigning ``item.value`` in code therefore behaves exactly like a student's
   change. traitlets fires only on a real change, so re-assigning the same
   value does not write.

Widgets only record answers. They never read keys and never score a graded
item; practice items carry their own answer in the lesson and get feedback at once.
"""

from __future__ import annotations

import hashlib
import html
import os
import random
import re
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import ipywidgets as widgets
import traitlets

from ..answers import HISTORY_LIMIT, AnswerBook
from ..describe import describe_answer
from ..execution import nbgrader_execution, student_name
from ..kinds import get_kind
from ..render import format_saved_at, points_label, render_html, render_text
from .spec import ItemSpec

__all__ = [
    "DOC_SNIPPETS",
    "SETUP_MESSAGE",
    "Item",
    "SavedAnswer",
    "current_book",
    "doc_subst",
    "show_saved",
    "start",
    "student_name",
]

#: Raised (as RuntimeError) when an item is created before ``start(...)`` ran.
SETUP_MESSAGE = (
    "Run the setup cell at the top of the notebook first (it calls start(...)), "
    "then run this cell again."
)

#: The parameters most items share, written once for every widget's docstring (see
#: :func:`doc_subst`). Each snippet is one numpydoc parameter entry; its first line
#: replaces a ``{name}`` line of the docstring, the next lines keep their indent.
DOC_SNIPPETS: dict[str, str] = {
    "id": """
    id : str
        Stable item id, such as ``"m01-thesis"``; answers and keys use it.""",
    "prompt": """
    prompt : str
        The question (plain text; it is escaped).""",
    "points": """
    points : float, optional
        Points for a graded item (default 1). Practice items take no points.""",
    "shuffle": """
    shuffle : bool, default True
        Show the entries in an order shuffled per student; False keeps the authored order.""",
    "no_shuffle": """
    shuffle : bool, default True
        Accepted for a uniform signature; there is nothing to shuffle.""",
    "seed": """
    seed : str, optional
        The shuffle seed (default ``"<user>:<item id>"``).""",
    "no_seed": """
    seed : str, optional
        Stored with the answer, like other items.""",
    "book": """
    book : AnswerBook, optional
        Where to save (default: the book set by :func:`course.items.start`).""",
}

_T = TypeVar("_T")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def doc_subst(snippets: Mapping[str, str]) -> Callable[[_T], _T]:
    """Return a decorator that fills ``{name}`` in a class's or function's docstring.

    Shared parameter descriptions are written once (in :data:`DOC_SNIPPETS`)
    and substituted into each widget's docstring, as ipywidgets does. Only
    ``{name}`` placeholders naming a snippet are replaced, so other braces
    (``{"answer": ...}``) stay as written.

    >>> class Box:
    ...     "A box. {note} {a: 1}"
    >>> doc_subst({"note": "It is empty."})(Box).__doc__
    'A box. It is empty. {a: 1}'
    """
    stripped = {name: text.strip() for name, text in snippets.items()}

    def decorator(obj: _T) -> _T:
        doc = getattr(obj, "__doc__", None)
        if doc:
            obj.__doc__ = _PLACEHOLDER.sub(lambda m: stripped.get(m.group(1), m.group(0)), doc)
        return obj

    return decorator


_current_book: AnswerBook | None = None
#: (answers file path, item id) -> spec of items created in this kernel, for show_saved.
_specs: dict[tuple[str, str], ItemSpec] = {}
#: The live saved-answer lines shown in this kernel (see :class:`SavedAnswer`).
_views: weakref.WeakSet[SavedAnswer] = weakref.WeakSet()


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _status_html(text: str) -> str:
    return f'<span role="status" aria-live="polite">{_esc(text)}</span>'


def _show(text: str, html_text: str) -> None:
    """Display a message in the notebook (HTML with a plain-text fallback), or print it."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.display import display

        if InteractiveShell.initialized():
            display({"text/plain": text, "text/html": html_text}, raw=True)
            return
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        pass
    print(text)


class _StartedBook(AnswerBook):
    """The book :func:`start` returns: when it is a cell's last line, it says where answers go."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(
            f"Saving your answers for {self.notebook} in {self.path.name}, next to this notebook."
        )


def start(notebook: str, folder: str | os.PathLike[str] = ".") -> AnswerBook:
    """Start saving this notebook's answers; run once, in the notebook's setup cell.

    Parameters
    ----------
    notebook : str
        The notebook's name without ``.ipynb``, such as ``"01-close-reading"``.
    folder : path-like, default "."
        The folder of the answers file: the notebook's own folder.

    Returns
    -------
    AnswerBook
        The book that items created from now on save to (unless given ``book=``).

    Notes
    -----
    If the existing answers file has problems (for example it is not valid
    JSON), a warning is shown at once. Nothing is deleted: an unreadable file
    is set aside under a new name when the next answer is saved.
    """
    global _current_book
    book = _StartedBook(notebook, folder)
    _current_book = book
    _refresh_views(book, None)
    if book.problems:
        problems = list(book.problems)
        text = (
            "Warning: part of your saved answers for this notebook could not be read:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nNothing was deleted. If the file cannot be used, it is kept under a new name "
            "next to this notebook when you next answer a question, and a new answers file "
            "is started. If answers you gave earlier are missing, tell your instructor: "
            "they can recover them from the kept file."
        )
        html_text = (
            '<div class="ce-warning" role="alert"><p><strong>Warning: part of your saved '
            "answers for this notebook could not be read.</strong></p><ul>"
            + "".join(f"<li>{_esc(p)}</li>" for p in problems)
            + "</ul><p>Nothing was deleted. If the file cannot be used, it is kept under a new "
            "name next to this notebook when you next answer a question, and a new answers "
            "file is started. If answers you gave earlier are missing, tell your instructor: "
            "they can recover them from the kept file.</p></div>"
        )
        _show(text, html_text)
    return book


def current_book() -> AnswerBook:
    """Return the book set by :func:`start`.

    Raises
    ------
    RuntimeError
        If :func:`start` has not run in this kernel.
    """
    if _current_book is None:
        raise RuntimeError(SETUP_MESSAGE)
    return _current_book


def shuffled(ids: Iterable[str], seed: str) -> list[str]:
    """Return ``ids`` in the order given by ``seed`` (the same seed, the same order)."""
    out = list(ids)
    random.Random(int(hashlib.sha256(seed.encode("utf-8")).hexdigest(), 16)).shuffle(out)
    return out


def _saved_phrase(saved_at: Any) -> str:
    when = format_saved_at(saved_at)
    if not when:
        return ""
    return f" on {when.replace(' ', ' at ')}" if " " in when else f" at {when}"


def _in_kernel() -> bool:
    """Return True in a Jupyter kernel, where widgets can be shown."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    if not InteractiveShell.initialized():
        return False
    return getattr(InteractiveShell.instance(), "kernel", None) is not None


def _answer_text(item_id: str, book: AnswerBook, record: Mapping[str, Any]) -> str:
    """Return a saved value in plain words, without saying whether it is right."""
    value = record["value"]
    spec = _specs.get((str(book.path), item_id))
    if spec is not None and record.get("kind") == spec.kind:
        kind = get_kind(spec.kind)
        if kind is not None:
            value = kind.counted(record)  # a forecast's first lock counts
        return describe_answer(spec, value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k} → {v}" for k, v in value.items())
    return f"{value:g}" if isinstance(value, float) else str(value)


def _saved_record(item_id: str, book: AnswerBook | None) -> tuple[str, Any]:
    """Return ``(state, data)`` for an item's saved answer.

    ``state`` is ``"no-book"`` (start did not run), ``"error"`` (data: the
    exception), ``"none"`` (no answer saved), ``"cleared"`` (data: the record
    of a cleared answer), ``"unfit"`` (an answer of another kind, saved for an
    earlier version of the question) or ``"saved"`` (data: the record).
    """
    if book is None:
        return "no-book", None
    try:
        record = book.get(item_id)
    except Exception as exc:  # never raise into the notebook
        return "error", exc
    if record is None:
        return "none", None
    spec = _specs.get((str(book.path), item_id))
    if spec is not None and record.get("kind") != spec.kind:
        return "unfit", record
    if record.get("value") is None:
        return ("cleared" if record.get("saved_at") else "none"), record
    return "saved", record


def _saved_phrase_for(record: Mapping[str, Any]) -> str:
    when = format_saved_at(record.get("saved_at"))
    return f" (saved {when})" if when else ""


def _plain_saved(item_id: str, book: AnswerBook | None) -> str:
    """Return the plain-text line :func:`show_saved` prints outside a student's kernel."""
    state, data = _saved_record(item_id, book)
    if state == "no-book":
        return f"Cannot show the saved answer for {item_id}. {SETUP_MESSAGE}"
    if state == "error":
        return f"Could not read the saved answer for {item_id}: {data}"
    if state in {"none", "cleared"}:
        return f"No answer saved yet for {item_id}."
    assert book is not None
    return f"Saved answer for {item_id}: {_answer_text(item_id, book, data)}" + (
        _saved_phrase_for(data)
    )


def _live_saved(item_id: str, book: AnswerBook | None) -> str:
    """Return the line a :class:`SavedAnswer` shows; it matches the question's own status."""
    state, data = _saved_record(item_id, book)
    if state == "no-book":
        return (
            f"Question {item_id}: your saved answer appears here once the setup cell at the "
            "top of the notebook has run and you answer the question above."
        )
    if state == "error":
        return (
            f"Question {item_id}: the saved answer could not be read ({data}). "
            "The question above says what to do."
        )
    if state == "none":
        return (
            f"Question {item_id}: not answered yet. "
            "Your answer appears here as soon as it is saved."
        )
    if state == "cleared":
        return (
            f"Question {item_id}: not answered yet "
            f"(answer cleared{_saved_phrase(data.get('saved_at'))})."
        )
    if state == "unfit":
        return (
            f"Question {item_id}: not answered yet. An answer saved earlier no longer fits "
            "this question; answering above replaces it."
        )
    assert book is not None
    return f"Saved answer for {item_id}: {_answer_text(item_id, book, data)}" + (
        _saved_phrase_for(data)
    )


class SavedAnswer(widgets.HTML):  # type: ignore[misc]  # ipywidgets has no types
    """A line under a question that shows its saved answer and follows every save.

    Grade cells show it through :func:`show_saved`. Whenever an item with the
    same id saves to the same answers file in this kernel, the line is
    rewritten from the answers file, so it never shows an answer older than
    the one saved. It repeats the saved answer only; it never says whether it
    is right.

    Parameters
    ----------
    item_id : str
        The item's id, such as ``"m01-thesis"``.
    book : AnswerBook, optional
        The answers to show (default: the book set by :func:`start`, looked up
        each time the line is refreshed).
    """

    def __init__(self, item_id: str, book: AnswerBook | None = None) -> None:
        super().__init__(layout=widgets.Layout(width="auto"))
        self.add_class("ce-saved-answer")
        self.item_id = item_id
        self._book = book
        self.text = ""
        self.refresh()
        _views.add(self)

    @property
    def book(self) -> AnswerBook | None:
        """The answers shown: the book given, else the one set by :func:`start`."""
        return self._book if self._book is not None else _current_book

    def follows(self, book: AnswerBook) -> bool:
        """Return True if saves to ``book`` change what this line shows."""
        mine = self.book
        return mine is None or str(mine.path) == str(book.path)

    def refresh(self) -> None:
        """Read the saved answer again and show it."""
        self.text = _live_saved(self.item_id, self.book)
        self.value = f'<p class="ce-saved-answer-text">{_esc(self.text)}</p>'

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """Return the live view, with a fallback that never goes out of date."""
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = (
            f"(The saved answer to question {self.item_id} is shown here while the notebook runs.)"
        )
        return data


def _refresh_views(book: AnswerBook, item_id: str | None) -> None:
    """Refresh every live line for ``item_id`` (None: every line) that follows ``book``."""
    for view in list(_views):
        if getattr(view, "comm", None) is None:  # closed
            _views.discard(view)
            continue
        if (item_id is None or view.item_id == item_id) and view.follows(book):
            try:
                view.refresh()
            except Exception:  # pragma: no cover - a display line must never stop a save
                continue


def show_saved(item_id: str, book: AnswerBook | None = None) -> None:
    """Show the saved answer of an item, without saying whether it is right.

    In a student's kernel this displays a :class:`SavedAnswer` line that is
    rewritten on every save of the item, so it never contradicts the
    question's own status. When nbgrader runs the notebook (``course grade``,
    ``nbgrader autograde`` or ``validate``; see :mod:`course.execution`), and
    outside a Jupyter kernel, it prints the saved answer once, in plain text,
    for the instructor; the course's grader then writes the score over the
    grade cell's output.

    Parameters
    ----------
    item_id : str
        The item's id, such as ``"m01-thesis"``.
    book : AnswerBook, optional
        The answers to read (default: the book set by :func:`start`).
    """
    if nbgrader_execution() is None and _in_kernel():
        from IPython.display import display

        display(SavedAnswer(item_id, book))
        return
    print(_plain_saved(item_id, book if book is not None else _current_book))


class _NoChange(Exception):
    """The controls do not hold a new answer (an empty or unreadable box); says why."""


class Item(widgets.VBox):  # type: ignore[misc]  # ipywidgets has no types
    """Base of every exercise widget. Subclasses set :attr:`kind` and the control hooks.

    What a value means belongs to the item's kind (:mod:`course.kinds`): the
    kind checks values (:meth:`~course.kinds.ItemKind.coerce`) and gives
    practice feedback. A widget holds only its controls: it builds them
    (:meth:`_build_controls`), reads them (:meth:`_read_controls`) and
    shows a value in them (:meth:`_write_controls`).
    """

    #: The item kind (a registered kind's name; see :func:`course.kinds.kinds`).
    kind: ClassVar[str] = ""

    #: How many earlier values each save keeps in the record's history (None: all).
    history_limit: ClassVar[int | None] = HISTORY_LIMIT

    #: The current answer in its stored shape, or None. Python-side only (not synced).
    value = traitlets.Any(None, allow_none=True)

    def __init__(
        self,
        spec_args: Mapping[str, Any],
        *,
        seed: str | int | None = None,
        book: AnswerBook | None = None,
    ) -> None:
        book = book if book is not None else current_book()
        args = {k: v for k, v in spec_args.items() if v is not None}
        self.spec: ItemSpec = ItemSpec.build(self.kind, **args)
        self.book: AnswerBook = book
        self.seed: str = str(seed) if seed is not None else f"{student_name()}:{self.spec.id}"
        self._ready = False
        self._syncing = False
        self._from_controls = False
        self._saved_at: str | None = None
        self.order: list[str] = self._display_order()
        super().__init__(layout=widgets.Layout(width="auto", margin="0.5em 0 1em 0"))
        self.add_class("ce-item")
        self.add_class(f"ce-kind-{self.kind.replace('_', '-')}")

        self._header = widgets.HTML(self._header_html(), layout=widgets.Layout(width="auto"))
        controls = self._build_controls()
        self._note = widgets.HTML("", layout=widgets.Layout(width="auto"))
        self._status = widgets.HTML(_status_html("Not answered yet"))
        children: list[widgets.Widget] = [self._header, *controls, self._note, self._status]
        self._feedback: widgets.HTML | None = None
        if self.spec.practice is not None:
            self._feedback = widgets.HTML("", layout=widgets.Layout(width="auto"))
            children.append(self._feedback)
        self.children = tuple(children)

        self._restore()
        self.observe(self._on_value, names="value")
        self._ready = True
        _specs[(str(book.path), self.spec.id)] = self.spec
        _refresh_views(book, self.spec.id)  # the spec words the saved answer better

    # -- hooks for subclasses ---------------------------------------------------
    def _display_order(self) -> list[str]:
        """Return the option ids in the order shown (shuffled by the seed unless shuffle=False)."""
        ids = list(self.spec.options)
        return shuffled(ids, self.seed) if self.spec.shuffle else ids

    def _build_controls(self) -> list[widgets.Widget]:
        """Return the item's own controls; their observers call :meth:`_controls_changed`."""
        raise NotImplementedError

    def _read_controls(self) -> Any:
        """Return the answer the controls hold, or raise :class:`_NoChange` with a message."""
        raise NotImplementedError

    def _write_controls(self, value: Any) -> None:
        """Show ``value`` (already valid, or None) in the controls."""
        raise NotImplementedError

    def _coerce(self, value: Any) -> Any:
        """Return ``value`` in its stored shape, or raise ValueError if it does not fit.

        The item's kind decides (:meth:`course.kinds.ItemKind.coerce`).
        """
        kind = get_kind(self.kind)
        if kind is None:
            raise ValueError(f"unknown item kind {self.kind!r}")
        return kind.coerce(self.spec, value)

    def _extra(self) -> dict[str, Any] | None:
        """Return the extra fields stored with each answer (seed and order shown)."""
        return {"seed": self.seed, "order": list(self.order)}

    # -- value --------------------------------------------------------------------
    @traitlets.validate("value")
    def _validate_value(self, proposal: dict[str, Any]) -> Any:
        new = proposal["value"]
        if new is None:
            return None
        try:
            return self._coerce(new)
        except ValueError as exc:
            raise traitlets.TraitError(f"{self.spec.id}: {exc}") from exc

    def _controls_changed(self, change: Any = None) -> None:
        """Read the controls into :attr:`value` after a student's change."""
        if not self._ready or self._syncing:
            return
        try:
            new = self._read_controls()
        except _NoChange as exc:
            self._set_note(str(exc))
            return
        self._set_note("")
        self._from_controls = True
        try:
            self.value = new
        finally:
            self._from_controls = False

    def _on_value(self, change: dict[str, Any]) -> None:
        new = change["new"]
        if not self._from_controls:
            self._sync_controls(new)
            self._set_note("")
        self._save(new)
        self._update_feedback(new)

    def _sync_controls(self, value: Any) -> None:
        self._syncing = True
        try:
            self._write_controls(value)
        finally:
            self._syncing = False

    # -- saving and restoring ----------------------------------------------------
    def _restore(self) -> None:
        try:
            record = self.book.get(self.spec.id)
        except Exception as exc:  # never raise into the notebook
            self._set_note(f"Your saved answer could not be read ({exc}).")
            return
        if record is None:
            return
        saved = record.get("value")
        valid = record.get("kind") == self.spec.kind
        if valid and saved is not None:
            try:
                saved = self._coerce(saved)
            except ValueError:
                valid = False
        if not valid:
            self._set_note(
                "An answer saved earlier no longer fits this question, so it starts empty. "
                "That answer is still in your answers file; answering here replaces it."
            )
            return
        if saved is None:
            return
        self.set_trait("value", saved)
        self._sync_controls(saved)
        self._saved_at = record.get("saved_at")
        self._status.value = _status_html(
            f"Restored answer saved{_saved_phrase(self._saved_at)}"
            if self._saved_at
            else "Restored answer"
        )
        self._update_feedback(saved)

    def _save(self, value: Any) -> None:
        """Record ``value``; on failure say so on screen and keep the answer shown."""
        known = len(self.book.problems)
        try:
            record = self.book.record(
                self.spec.id,
                value,
                kind=self.kind,
                extra=self._extra(),
                keep_history=self.history_limit,
            )
        except Exception as exc:  # never raise into the notebook
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            self._status.value = _status_html(
                f"Not saved: {reason}. Your answer is still on screen; "
                "try again or ask your instructor."
            )
            return
        self._saved_at = record.get("saved_at")
        verb = "Saved" if value is not None else "Answer cleared; saved"
        self._status.value = _status_html(f"{verb}{_saved_phrase(self._saved_at)}")
        new_problems = self.book.problems[known:]
        if new_problems:
            self._set_note(" ".join(new_problems))
        _refresh_views(self.book, self.spec.id)

    def save(self) -> None:
        """Save the current answer again (for example after a failed save)."""
        self._save(self.value)

    def _set_note(self, text: str) -> None:
        self._note.value = (
            f'<p class="ce-note" role="status" aria-live="polite"><strong>Note:</strong> '
            f"{_esc(text)}</p>"
            if text
            else ""
        )

    # -- display ------------------------------------------------------------------
    def _header_html(self) -> str:
        return (
            '<div class="ce-item-head">'
            f'<div role="heading" aria-level="3"><strong>{_esc(self.spec.prompt)}</strong></div>'
            f"<div><small>Question {_esc(self.spec.id)} · {_esc(points_label(self.spec))}"
            "</small></div></div>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """Return the widget view plus a static text and HTML rendering of question and answer."""
        data = super()._repr_mimebundle_(**kwargs) or {}
        # The order shown: a kind whose listing could give the answer away lists it so.
        order = self.order
        data["text/plain"] = render_text(
            self.spec, self.value, saved_at=self._saved_at, order=order
        )
        data["text/html"] = render_html(self.spec, self.value, saved_at=self._saved_at, order=order)
        return data

    # -- practice feedback -----------------------------------------------------------
    def _update_feedback(self, value: Any) -> None:
        if self._feedback is None:
            return
        if value is None:
            self._feedback.value = ""
            return
        correct, lines = self._practice_check(value)
        practice = self.spec.practice or {}
        head = "Correct" if correct else "Not quite"
        if correct and practice.get("explanation"):
            lines = [*lines, str(practice["explanation"])]
        if not lines:
            lines = ["" if correct else "Try again."]
        first, rest = lines[0], lines[1:]
        body = f"<p><strong>{head}</strong>" + (f" — {_esc(first)}" if first else "") + "</p>"
        body += "".join(f"<p>{_esc(line)}</p>" for line in rest)
        self._feedback.value = (
            f'<div class="ce-feedback" role="status" aria-live="polite">{body}</div>'
        )

    def _practice_check(self, value: Any) -> tuple[bool, list[str]]:
        """Return (is the practice answer right, feedback lines) for ``value`` (its kind's)."""
        kind = get_kind(self.kind)
        if kind is None:
            return False, []
        return kind.practice_check(self.spec, value, list(self.order))


#: Options as authored: a mapping of id to text, or a list of (id, text) pairs.
Options = Mapping[str, str] | Sequence[tuple[str, str]]
#: A practice item's answer, per-option feedback and explanation.
Practice = Mapping[str, Any]

#: The earlier name of :class:`Item`.
_Item = Item
