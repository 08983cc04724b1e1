"""SnapshotAnswers: freeze the answers, the key and the item specs before the kernel starts."""

from __future__ import annotations

from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Unicode

from ...answers import answers_filename
from ...paths import CourseFolder
from ..context import coursedir_of, parse_key, specs_from_notebook
from ..intake import INTAKE_DIRECTORY, read_intake_report
from ..manifest import verified_key
from ..snapshot import take_snapshot


class SnapshotAnswers(NbGraderPreprocessor):
    """Freeze everything that decides a score into ``resources["course"]``.

    Runs in the grader's process, before ``Execute``: nothing the student's
    code does later in this run can change what is scored. It stores

    - ``snapshot``: the submitted answers (:func:`course.grading.snapshot.take_snapshot`;
      ``submitted/`` is only read);
    - ``key``, ``key_sha256``, ``key_path``: the module's answer key, parsed
      from the very bytes whose SHA-256 matched the key manifest
      (:func:`course.grading.manifest.verified_key`); ``key`` is None if the
      module has no key;
    - ``specs``: the item specs of the trusted source notebook in ``source/``.

    ``ScoreAnswers`` and ``InsertRubrics`` use only these; they never read the
    key or the source after the kernel has run.

    Raises
    ------
    course.grading.manifest.KeyManifestError
        If the key does not match the key manifest, or there is no manifest;
        the submission is then not graded, and the message names the file and
        the command that fixes it.
    """

    refresh = Bool(
        False,
        help="Take a new snapshot even if one exists for the same collected submission.",
    ).tag(config=True)
    keys_dir = Unicode(
        "",
        help="Folder of the answer key files (default: ScoreAnswers.keys_dir if set, "
        "else <course root>/autograde/keys).",
    ).tag(config=True)

    def _keys_dir(self, root: Path) -> Path:
        configured = self.keys_dir or self.config.get("ScoreAnswers", {}).get("keys_dir", "")
        return CourseFolder(root, configured).keys_dir

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        coursedir = coursedir_of(self)
        root = Path(coursedir.root)
        course = resources.setdefault("course", {})
        for stale in ("snapshot", "key", "key_sha256", "key_path", "specs"):
            course.pop(stale, None)

        frozen = verified_key(root, self._keys_dir(root), info["assignment"])
        key = parse_key(frozen.data, frozen.path) if frozen.data is not None else None
        source_nb = (
            Path(coursedir.format_path(coursedir.source_directory, ".", info["assignment"]))
            / f"{info['notebook']}.ipynb"
        )
        specs = specs_from_notebook(source_nb.read_bytes(), source_nb.name)

        submitted = coursedir.format_path(
            coursedir.submitted_directory, info["student"], info["assignment"]
        )
        snap = take_snapshot(
            root,
            submitted,
            info["student"],
            info["assignment"],
            info["notebook"],
            refresh=self.refresh,
        )
        self._note_refused_answers(root, coursedir, info, snap)
        for problem in snap.problems:
            self.log.warning("%s/%s: %s", info["student"], info["assignment"], problem)
        course.update(
            snapshot=snap,
            key=key,
            key_sha256=frozen.sha256,
            key_path=str(frozen.path),
            specs=specs,
        )
        return nb, resources

    @staticmethod
    def _note_refused_answers(root: Path, coursedir, info, snap) -> None:
        """Make an answers file refused at intake unreadable, so each item says why it scored 0."""
        if snap.exists or Path(coursedir.submitted_directory) != Path(INTAKE_DIRECTORY):
            return
        report = read_intake_report(root, info["student"], info["assignment"]) or {}
        name = answers_filename(info["notebook"])
        refused = report.get("refused")
        if not isinstance(refused, list):
            refused = []
        whole = f"{info['student']}/{info['assignment']}"
        for entry in refused:
            path = str(entry.get("path", "")) if isinstance(entry, dict) else ""
            if path in (name, whole):
                reason = str(entry.get("reason") or "it was refused")
                what = name if path == name else f"the submission folder {whole}"
                snap.unreadable = True
                snap.problems.append(f"the answers file {name} was not read ({what}: {reason})")
                return
