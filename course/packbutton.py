"""The *Pack my submission* button that :func:`course.pack_button` shows.

Kept apart from :mod:`course.pack` so that packing from code never imports
ipywidgets.
"""

from __future__ import annotations

import datetime as _dt
import html
import os
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from .pack import pack_zip
from .render import format_saved_at

__all__ = ["PACK_LABEL", "PACK_TOOLTIP", "PackButton"]

#: The button's label.
PACK_LABEL = "Pack my submission"
#: The button's tooltip.
PACK_TOOLTIP = (
    "Save the notebook first (Ctrl+S). Pressing this writes one zip, next to the notebook, "
    "holding the notebook and your saved answers, to upload to your course page."
)
#: Shown under the button before it is pressed.
PACK_HINT = (
    "Save the notebook (Ctrl+S), then press the button. It writes one zip next to this "
    "notebook, to download and upload to your course page."
)


def _status(text: str, *, problem: bool = False) -> str:
    css = "ce-pack-status ce-note" if problem else "ce-pack-status"
    return f'<p class="{css}" role="status" aria-live="polite">{html.escape(text, quote=True)}</p>'


class PackButton(widgets.VBox):
    """A button that packs the notebook and its answers into a zip when pressed.

    Creating it writes nothing; each press writes the zip again with
    :func:`course.pack.pack_zip` and says under the button what the zip holds
    and what to do next, or what went wrong.

    Parameters
    ----------
    notebook : str
        The notebook's name, such as ``"01-close-reading"``.
    folder : path-like, default "."
        The folder holding the notebook.
    student : str, optional
        The login name as the course knows it (default: the current user).
    dest : path-like, optional
        Where to write the zip (default: ``folder``).

    Attributes
    ----------
    button : ipywidgets.Button
        The button.
    status : ipywidgets.HTML
        The line under it (a polite live region).
    last_zip : Path or None
        The zip written by the last successful press.
    """

    def __init__(
        self,
        notebook: str,
        folder: str | os.PathLike[str] = ".",
        *,
        student: str | None = None,
        dest: str | os.PathLike[str] | None = None,
    ) -> None:
        self.notebook = notebook
        self.folder = folder
        self.student = student
        self.dest = dest
        self.last_zip: Path | None = None
        self.button = widgets.Button(
            description=PACK_LABEL,
            tooltip=PACK_TOOLTIP,
            icon="archive",
            button_style="primary",
            layout=widgets.Layout(width="auto"),
        )
        self.status = widgets.HTML(_status(PACK_HINT), layout=widgets.Layout(width="auto"))
        self.button.on_click(self._pressed)
        super().__init__(
            [self.button, self.status],
            layout=widgets.Layout(width="auto", margin="0.5em 0 1em 0"),
        )
        self.add_class("ce-pack")

    def _pressed(self, _button: Any = None) -> None:
        self.pack()

    def pack(self) -> bool:
        """Write the zip, as a press does; return True if it was written."""
        try:
            packed = pack_zip(self.notebook, self.folder, student=self.student, dest=self.dest)
        except (OSError, ValueError) as exc:
            self.status.value = _status(
                f"Not packed: {exc} Fix this and press the button again, or ask your instructor.",
                problem=True,
            )
            return False
        self.last_zip = packed.zip_path
        saved = format_saved_at(
            _dt.datetime.fromtimestamp(packed.notebook.stat().st_mtime, _dt.UTC)
        )
        holds = (
            f"{packed.notebook.name} and your saved answers ({packed.answers.name})"
            if packed.answers
            else f"{packed.notebook.name} only: no answers are saved yet, so check that "
            "you ran the setup cell and that the questions say “Saved at …”"
        )
        self.status.value = _status(
            f"Packed {packed.zip_path.name}: it holds {holds}. The notebook is packed as last "
            f"saved (at {saved}); if you changed it since, save it (Ctrl+S) and press the "
            "button again. Then download the zip (right-click it in the file browser, then "
            "Download) and upload it to your course page.",
            problem=packed.answers is None,
        )
        return True

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """Return the live button, with a plain-text fallback for static viewers."""
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = f"[{PACK_LABEL}] button for {self.notebook}"
        return data
