"""Pack a notebook and its answers into one zip, for courses that collect through an LMS.

The zip is named ``<student>__<notebook>.zip`` and holds ``<notebook>.ipynb``
and ``.<notebook>.answers.json``; ``course init`` configures nbgrader's
``zip_collect`` to read exactly this layout (see docs/instructor-guide.md).
"""

from __future__ import annotations

import getpass
import os
import re
import zipfile
from pathlib import Path

from .answers import answers_filename

__all__ = ["pack_submission", "student_name"]


def student_name() -> str:
    """Return the student's login name as JupyterHub or the system reports it."""
    return os.environ.get("JUPYTERHUB_USER") or os.environ.get("NB_USER") or getpass.getuser()


def pack_submission(
    notebook: str,
    folder: str | os.PathLike[str] = ".",
    *,
    student: str | None = None,
    dest: str | os.PathLike[str] | None = None,
) -> Path:
    """Zip a notebook with its answers file and return the zip's path.

    Save the notebook in JupyterLab first (Ctrl+S): the zip takes the file as
    it is on disk. Answers are always on disk already; they are saved on every
    change.

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

    Examples
    --------
    >>> pack_submission("01-close-reading")  # doctest: +SKIP
    PosixPath('jdoe__01-close-reading.zip')
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
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(nb_path, nb_path.name)
        if answers.exists():
            zf.write(answers, answers.name)
    print(
        f"Packed {nb_path.name}"
        + (f" and {answers.name}" if answers.exists() else " (no answers saved yet)")
        + f" into {zip_path}. Upload this zip to your course page."
    )
    return zip_path
