"""Pack a notebook and its answers into one zip, for courses that collect through an LMS.

The zip is named ``<student>__<notebook>.zip`` and holds ``<notebook>.ipynb``
and ``.<notebook>.answers.json``; ``course init`` configures nbgrader's
``zip_collect`` to read exactly this layout (see docs/instructor-guide.md).

Students pack with a button, :func:`pack_button`, in a cell of its own: the
zip is written when the button is pressed, never when the cell runs. Both
:func:`pack_button` and :func:`pack_submission` do nothing, and print nothing,
while nbgrader runs the notebook (``course grade``, ``nbgrader autograde`` or
``nbgrader validate``; see :mod:`course.execution`), so grading never writes a
zip nor puts packing instructions in the graded notebook or the feedback.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .answers import answers_filename
from .execution import nbgrader_execution, student_name

if TYPE_CHECKING:  # pragma: no cover
    from .packbutton import PackButton

__all__ = ["Packed", "pack_button", "pack_submission", "pack_zip", "student_name"]


@dataclass(frozen=True)
class Packed:
    """What :func:`pack_zip` wrote.

    Attributes
    ----------
    zip_path : Path
        The zip written.
    notebook : Path
        The notebook packed, as it was on disk.
    answers : Path or None
        The answers file packed, or None if no answer was saved yet.
    """

    zip_path: Path
    notebook: Path
    answers: Path | None


def pack_zip(
    notebook: str,
    folder: str | os.PathLike[str] = ".",
    *,
    student: str | None = None,
    dest: str | os.PathLike[str] | None = None,
) -> Packed:
    """Zip a notebook with its answers file, print nothing, and say what was packed.

    This is the packing itself, without the nbgrader check and the message of
    :func:`pack_submission`; :class:`course.packbutton.PackButton` calls it.

    Parameters
    ----------
    notebook : str
        The notebook's name, such as ``"01-close-reading"`` (``.ipynb`` may be given).
    folder : path-like, default "."
        The folder holding the notebook.
    student : str, optional
        The login name as the course knows it (default: the current user).
    dest : path-like, optional
        Where to write the zip (default: ``folder``).

    Returns
    -------
    Packed
        The zip's path and the files it holds.

    Raises
    ------
    FileNotFoundError
        If there is no such notebook in ``folder``.
    ValueError
        If the student name has characters a zip name cannot carry.
    """
    stem = notebook[:-6] if notebook.endswith(".ipynb") else notebook
    folder = Path(folder)
    nb_path = folder / f"{stem}.ipynb"
    if not nb_path.exists():
        raise FileNotFoundError(f"No notebook {nb_path}; check the name and the folder.")
    who = student or student_name()
    if not re.fullmatch(r"[A-Za-z0-9.@-]+", who):
        raise ValueError(
            f"Student name {who!r} has characters a zip name cannot carry; "
            "pass student='your-login' using letters, digits, '.', '@' or '-'."
        )
    target = Path(dest) if dest else folder
    target.mkdir(parents=True, exist_ok=True)
    zip_path = target / f"{who}__{stem}.zip"
    answers = folder / answers_filename(stem)
    has_answers = answers.exists()
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(nb_path, nb_path.name)
        if has_answers:
            zf.write(answers, answers.name)
    return Packed(zip_path, nb_path, answers if has_answers else None)


def pack_submission(
    notebook: str,
    folder: str | os.PathLike[str] = ".",
    *,
    student: str | None = None,
    dest: str | os.PathLike[str] | None = None,
) -> Path | None:
    """Zip a notebook with its answers file and return the zip's path.

    Save the notebook in JupyterLab first (Ctrl+S): the zip takes the file as
    it is on disk. Answers are always on disk already; they are saved on every
    change. In a notebook, :func:`pack_button` is the better choice: it packs
    only when pressed.

    While nbgrader runs the notebook (``NBGRADER_EXECUTION`` is set, see
    :mod:`course.execution`), this does nothing, prints nothing and returns
    None: a cell that packs is not run again by grading.

    Parameters
    ----------
    notebook : str
        The notebook's name, such as ``"01-close-reading"``.
    folder : path-like, default "."
        The folder holding the notebook.
    student : str, optional
        Your login name as your course knows it (default: the current user).
    dest : path-like, optional
        Where to write the zip (default: ``folder``).

    Returns
    -------
    Path or None
        The zip written, or None while nbgrader runs the notebook.

    Examples
    --------
    In the last cell of a notebook (it returns ``jdoe__01-close-reading.zip``
    for the student ``jdoe``)::

        pack_submission("01-close-reading")
    """
    if nbgrader_execution() is not None:
        return None
    packed = pack_zip(notebook, folder, student=student, dest=dest)
    print(
        f"Packed {packed.notebook.name}"
        + (f" and {packed.answers.name}" if packed.answers else " (no answers saved yet)")
        + f" into {packed.zip_path}. Upload this zip to your course page."
    )
    return packed.zip_path


def pack_button(
    notebook: str,
    folder: str | os.PathLike[str] = ".",
    *,
    student: str | None = None,
    dest: str | os.PathLike[str] | None = None,
) -> PackButton | None:
    """Return a *Pack my submission* button that zips the notebook when pressed.

    Put it alone in the last cell of the notebook, as the cell's last line, so
    that it shows. Running the cell only shows the button; each press writes
    the zip again (after saving the notebook with Ctrl+S) and says what it
    holds, or what went wrong, under the button.

    While nbgrader runs the notebook (``NBGRADER_EXECUTION`` is set, see
    :mod:`course.execution`), this returns None: nothing is shown, printed or
    written.

    Parameters
    ----------
    notebook : str
        The notebook's name, such as ``"01-close-reading"``.
    folder : path-like, default "."
        The folder holding the notebook.
    student : str, optional
        Your login name as your course knows it (default: the current user).
    dest : path-like, optional
        Where to write the zip (default: ``folder``).

    Returns
    -------
    PackButton or None
        The button (an ipywidgets box), or None while nbgrader runs the notebook.

    Examples
    --------
    In a cell of its own at the end of a lesson::

        from course import pack_button
        pack_button("01-close-reading")
    """
    if nbgrader_execution() is not None:
        return None
    from .packbutton import PackButton

    return PackButton(notebook, folder, student=student, dest=dest)
