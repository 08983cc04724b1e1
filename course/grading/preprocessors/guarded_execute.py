"""GuardedExecute: run the notebook, but never let it stop the grading."""

from __future__ import annotations

from nbgrader.preprocessors import Execute


class GuardedExecute(Execute):
    """nbgrader's ``Execute``, made safe for hostile or broken notebooks.

    A dead kernel, a cell that hangs past the timeout or any other failure
    ends execution for this notebook and is recorded as a problem; the cells
    run so far keep their outputs, and the course's scoring step still scores
    every item from the snapshot.
    """

    def preprocess(self, nb, resources, km=None):
        try:
            return super().preprocess(nb, resources, km=km)
        except Exception as exc:
            message = f"execution stopped early: {type(exc).__name__}: {str(exc)[:300]}"
            info = resources.get("nbgrader", {})
            self.log.warning("%s/%s: %s", info.get("student"), info.get("assignment"), message)
            resources.setdefault("course", {}).setdefault("problems", []).append(message)
            return nb, resources
