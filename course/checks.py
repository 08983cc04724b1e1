"""``course check``: validate lessons, items, keys and data, then grade a blank and a perfect class.

Each check adds :class:`Finding` rows; the check passes when no finding is
an error. The execution checks build a throw-away course, release it, run
each released notebook top to bottom as a student would (no answers given),
and autograde a blank and a perfect student with the real nbgrader pipeline:
the blank one must score 0 and the perfect one full marks on every
autograded item.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import nbformat

from .build import build_notebook, cell_items
from .itemcheck import (
    TESTWISE_MARGIN,
    course_longest_finding,
    giveaway_findings,
    length_findings,
    testwise_scores,
)
from .items.spec import ItemSpec, SpecError, find_start_call
from .keys import (
    CITATION,
    DEFAULT_DEMAND,
    ItemKey,
    KeyFileError,
    ModuleKey,
    check_key_against_spec,
    load_key,
)
from .lessons import Lesson, LessonError, find_lessons, project_root
from .paths import KEYS_DIRECTORY, CourseFolder

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = ["CheckReport", "Finding", "run_checks"]

Progress = Callable[[str, int, int], None]

CLAIM_IDS = {f"C{i}" for i in range(1, 42)}
CONTRACT = {"min_items": 8, "max_items": 12, "min_kinds": 4}
#: The least share of a module's points that judgement items and written work carry.
JUDGEMENT_SHARE = 0.35


@dataclass
class Finding:
    """One result of a check."""

    area: str
    message: str
    error: bool = True


@dataclass
class CheckReport:
    """All findings of ``course check``."""

    findings: list[Finding] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    #: The modules that hold the course's sourced narrative (exactly one, over the course).
    modules_with_narrative: list[str] = field(default_factory=list)
    #: Each checked module's item specs and keys, for the checks over the whole course.
    modules: dict[str, tuple[dict[str, ItemSpec], dict[str, ItemKey]]] = field(default_factory=dict)

    def error(self, area: str, message: str) -> None:
        """Record an error."""
        self.findings.append(Finding(area, message, True))

    def warn(self, area: str, message: str) -> None:
        """Record a warning (does not fail the check)."""
        self.findings.append(Finding(area, message, False))

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not any(f.error for f in self.findings)


def known_source_ids(root: Path) -> set[str]:
    """Return the source ids the course may cite (from the sources table when present)."""
    table = root / "datasets" / "sources.csv"
    if table.exists():
        import pandas as pd

        return set(pd.read_csv(table)["source_id"].astype(str))
    return {f"S{i}" for i in range(1, 115)} - {"S77"}


def check_lesson(lesson: Lesson, keys_dir: Path, sources: set[str], report: CheckReport) -> None:
    """Check one lesson against its key and the module contract."""
    area = lesson.id
    try:
        nb = build_notebook(lesson)
    except (SpecError, ValueError) as exc:
        report.error(area, f"the lesson does not build: {exc}")
        return
    starts = [find_start_call(c.source) for c in nb.cells if c.cell_type == "code"]
    starts = [s for s in starts if s]
    if starts != [lesson.id]:
        report.error(area, f'the setup cell must call start("{lesson.id}") once (found {starts})')
    specs = {}
    for cell in nb.cells:
        for spec in cell_items(cell):
            if spec.id in specs:
                report.error(area, f"item id {spec.id} is used twice")
            specs[spec.id] = spec
    graded = {k: s for k, s in specs.items() if s.graded}
    grade_points = {
        c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"].get("points", 0))
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }
    written = {
        c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
        for c in nb.cells
        if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
    }
    try:
        key = load_key(keys_dir / f"{lesson.id}.yaml")
    except FileNotFoundError:
        report.error(area, f"no key file {lesson.id}.yaml in {keys_dir}")
        return
    except KeyFileError as exc:
        report.error(area, str(exc))
        return
    for item_id, spec in graded.items():
        if item_id not in key.items:
            report.error(area, f"item {item_id} has no key")
            continue
        for problem in check_key_against_spec(spec, key.items[item_id]):
            report.error(area, problem)
        if grade_points.get(item_id) != spec.points:
            report.error(
                area,
                f"{item_id}: grade cell points {grade_points.get(item_id)} ≠ item points "
                f"{spec.points}",
            )
    for item_id in sorted(set(key.items) - set(graded)):
        report.error(area, f"key {item_id} has no graded item in the lesson")
    for item_id in sorted(set(written) - set(key.written)):
        report.error(area, f"written answer {item_id} has no rubric in the key")
    for item_id in sorted(set(key.written) - set(written)):
        report.error(area, f"rubric {item_id} has no written answer in the lesson")
    cited = set()
    for item in key.items.values():
        cited |= item.citations()
    for w in key.written.values():
        cited |= {
            f"{m.group(1)}{int(m.group(2))}"
            for m in re.finditer(r"\b([CS])(\d{1,3})\b", w.explanation)
        }
    for ref in sorted(cited):
        if ref.startswith("C") and ref not in CLAIM_IDS:
            report.error(area, f"the key cites {ref}, which is not a fact-sheet claim")
        if ref.startswith("S") and ref not in sources:
            report.error(area, f"the key cites {ref}, which is not in the sources list")
    kinds = {s.kind for s in graded.values()}
    n = len(graded)
    if not CONTRACT["min_items"] <= n <= CONTRACT["max_items"]:
        report.error(area, f"{n} autograded items; the module contract asks for 8–12")
    if len(kinds) < CONTRACT["min_kinds"]:
        report.error(area, f"{len(kinds)} item types; the module contract asks for at least 4")
    if "computed" not in kinds:
        report.error(area, "no pandas exercise (ComputedAnswer) scored from data")
    if not written:
        report.error(area, "no manually graded written answer")
    if not lesson.key_points or not lesson.next_checks:
        report.error(area, "the footer needs key points and what to check next")
    check_item_writing(lesson, nb, specs, key, report)
    check_weighting(area, graded, written, key, report)
    check_minutes(lesson, nb, report)
    check_practice(lesson, nb, key, sources, report)
    check_narrative(lesson, sources, report)
    report.passed.append(
        f"{area}: {n} autograded items over {len(kinds)} types, {len(written)} written"
    )


def check_item_writing(
    lesson: Lesson,
    nb: nbformat.NotebookNode,
    specs: dict[str, ItemSpec],
    key: ModuleKey,
    report: CheckReport,
) -> None:
    """Report the cues a test-wise student could use (:mod:`course.itemcheck`).

    Answer-length cues and giveaways are reported with the item id and a hint,
    and the score of the cue-reading student against chance; see the
    authoring guide's "Item-writing checks" for the thresholds.
    """
    area = lesson.id
    report.modules[area] = (specs, key.items)
    visible = {f"key point {i}": text for i, text in enumerate(lesson.key_points, 1)}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and not cell.metadata.get("nbgrader", {}).get("grade"):
            visible[f"the text of cell {i + 1}"] = cell.source
    for spec in specs.values():
        visible[f"the prompt of {spec.id}"] = spec.prompt
    for finding in length_findings(area, specs, key.items) + giveaway_findings(
        area, specs, key.items, visible
    ):
        report.error(area, f"item writing: {finding}")
    cues = testwise_scores(area, specs, key.items)
    if cues.items:
        report.passed.append(
            f"{area}: a cue-reading student scores {cues.testwise_percent:.0f}% on "
            f"{cues.items} choice items, chance {cues.chance_percent:.0f}%"
        )
    if cues.items and not cues.near_chance:
        way = (
            "the cues lead to the keyed options: rewrite the flagged items"
            if cues.margin > 0
            else "the cues lead away from the keyed options, so doing the opposite pays: "
            "key the longest or most prompt-like option in some items"
        )
        report.error(
            area,
            f"item writing: a student reading only cues (longest option, words from the "
            f"prompt, no absolutes) scores {cues.testwise_percent:.0f}% on the "
            f"{cues.items} choice items, chance {cues.chance_percent:.0f}%; {way} until it "
            f"is within {TESTWISE_MARGIN:g} points of chance either way",
        )


def check_weighting(
    area: str,
    graded: dict[str, ItemSpec],
    written: dict[str, float],
    key: ModuleKey,
    report: CheckReport,
) -> None:
    """Judgement items and written answers must carry :data:`JUDGEMENT_SHARE` of the points.

    What an item asks is its key's ``demand`` (default by kind: numbers are
    calculation, forecasts completion, everything else judgement); look-ups
    are marked ``demand: lookup`` in the key.
    """
    by_demand: dict[str, float] = {"written": sum(written.values())}
    for item_id, spec in graded.items():
        item_key = key.items.get(item_id)
        demand = (
            item_key.demand_for(spec.kind)
            if item_key
            else DEFAULT_DEMAND.get(spec.kind, "judgement")
        )
        by_demand[demand] = by_demand.get(demand, 0.0) + float(spec.points or 0)
    total = sum(by_demand.values())
    if not total:
        return
    share = (by_demand["written"] + by_demand.get("judgement", 0.0)) / total
    parts = ", ".join(f"{name} {points:g}" for name, points in sorted(by_demand.items()) if points)
    if share < JUDGEMENT_SHARE:
        report.error(
            area,
            f"judgement items and written work carry {share:.0%} of the {total:g} points "
            f"({parts}); give them at least {JUDGEMENT_SHARE:.0%} (more points for written "
            f"answers or judgement items, fewer for look-ups and calculations)",
        )
    else:
        report.passed.append(f"{area}: judgement and written work carry {share:.0%} ({parts})")


#: The least number of skill practice items each module gives before its graded items.
MIN_PRACTICE = 2


def check_practice(
    lesson: Lesson,
    nb: nbformat.NotebookNode,
    key: ModuleKey,
    sources: set[str],
    report: CheckReport,
) -> None:
    """Each module practises with feedback before it grades.

    A practice item names the skill it practises (``practice["skill"]``); that
    skill must be one of the ``skills`` of a graded item further on, so the
    practice comes first. Its explanation and feedback cite claim (C#) or
    source (S#) ids, as a key does, and the ids must exist. Practice items
    about how the course works name no skill and are not counted.
    """
    area = lesson.id
    later_skills: list[tuple[int, set[str]]] = []
    practice: list[tuple[int, ItemSpec]] = []
    for index, cell in enumerate(nb.cells):
        for spec in cell_items(cell):
            if spec.graded and spec.id in key.items:
                later_skills.append((index, set(key.items[spec.id].skills)))
            elif spec.practice is not None:
                practice.append((index, spec))
    counted = 0
    for index, spec in practice:
        details = spec.practice or {}  # never None here: only practice items are listed
        skill = details.get("skill")
        if skill is None:
            continue
        if not any(skill in skills for at, skills in later_skills if at > index):
            report.error(
                area,
                f"practice item {spec.id} practises {skill!r}, but no graded item after it "
                f"lists that skill in its key: move it before such an item, or name the "
                f"skill as the key does",
            )
            continue
        texts = [str(details.get("explanation", ""))]
        feedback = details.get("feedback") or {}
        if isinstance(feedback, dict):
            texts += [str(v) for v in feedback.values()]
        cited = {f"{m.group(1)}{int(m.group(2))}" for t in texts for m in CITATION.finditer(t)}
        if not cited:
            report.error(
                area,
                f"practice item {spec.id}: its feedback cites no claim (C#) or source (S#) id; "
                f"say why, citing them as the keys do",
            )
            continue
        unknown = sorted(
            c
            for c in cited
            if (c.startswith("C") and c not in CLAIM_IDS)
            or (c.startswith("S") and c not in sources)
        )
        if unknown:
            report.error(area, f"practice item {spec.id} cites unknown id(s): {', '.join(unknown)}")
            continue
        counted += 1
    if counted < MIN_PRACTICE:
        report.error(
            area,
            f"{counted} practice item(s) with feedback come before graded items of the same "
            f"skill; each module needs at least {MIN_PRACTICE} (see the authoring guide's "
            f'"Practice items")',
        )
    else:
        report.passed.append(f"{area}: {counted} practice items before the graded ones")


def check_minutes(lesson: Lesson, nb: nbformat.NotebookNode, report: CheckReport) -> None:
    """The stated ``minutes`` must be within the tolerance of the read-through estimate."""
    from .minutes import TOLERANCE, estimate_minutes

    estimate = estimate_minutes(lesson, nb)
    if estimate.within_tolerance:
        report.passed.append(
            f"{lesson.id}: {lesson.minutes} minutes stated, {estimate.total:.0f} estimated"
        )
        return
    report.error(
        lesson.id,
        f"the lesson states {lesson.minutes} minutes but a careful read-through takes about "
        f"{estimate.total:.0f} ({estimate.describe()}), more than {TOLERANCE:.0%} off: set "
        f"minutes: {estimate.suggested} in the front matter (see the authoring guide's "
        f'"Estimated time")',
    )


def check_narrative(lesson: Lesson, sources: set[str], report: CheckReport) -> None:
    """A lesson holding the course's sourced narrative cites a real source for every fact."""
    from .context import NARRATIVE_HEADING, narrative_problems

    if lesson.path is None:
        return
    text = lesson.path.read_text(encoding="utf-8")
    if NARRATIVE_HEADING not in text:
        return
    report.modules_with_narrative.append(lesson.id)
    problems = narrative_problems(text, sources)
    for problem in problems:
        report.error(lesson.id, problem)
    if not problems:
        report.passed.append(f"{lesson.id}: every sentence of the narrative cites its sources")


def check_glossary(sources: set[str], report: CheckReport) -> None:
    """Every glossary entry is defined and cites a source id that resolves."""
    from . import data
    from .context import glossary_problems

    try:
        glossary = data.glossary()
    except Exception as exc:  # any failure to load is a finding, not a crash
        report.error("data", f"the glossary could not be loaded: {exc}")
        return
    problems = glossary_problems(glossary, sources)
    for problem in problems:
        report.error("data", problem)
    if not problems:
        report.passed.append(f"data: {len(glossary)} glossary entries, each with its sources")


def check_figures(report: CheckReport) -> None:
    """The course-wide base map and timeline must render from the shipped data alone."""
    import io

    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from .maps import base_map, base_map_alt_text
    from .timeline import course_timeline, course_timeline_alt_text

    for name, draw, alt in (
        ("the base map of Syria", base_map, base_map_alt_text),
        ("the course timeline", course_timeline, course_timeline_alt_text),
    ):
        try:
            ax = draw()
            buffer = io.BytesIO()
            figure = cast("Figure", ax.figure)  # each draws on a new figure of its own
            figure.savefig(buffer, format="png")
            plt.close(figure)
            if not buffer.getvalue() or not alt().strip():
                raise ValueError("it drew nothing, or has no alt text")
        except Exception as exc:  # any failure to draw is a finding, not a crash
            report.error("data", f"{name} does not render from the shipped data: {exc}")
            continue
        report.passed.append(f"data: {name} renders from the shipped data, with alt text")


def check_data(root: Path, report: CheckReport) -> None:
    """Check the shipped essay, the claims table and the whole data package."""
    from . import data

    try:
        paragraphs = data.essay_paragraphs()
        if list(paragraphs["paragraph"]) != list(range(1, 11)):
            report.error("data", "the essay must have paragraphs ¶1–¶10")
        claims = data.claims()
        ids = list(claims["claim_id"])
        if ids != [f"C{i}" for i in range(1, 42)]:
            report.error("data", "claims must list C1–C41 in order")
        if any("verdict" in c.lower() for c in claims.columns):
            report.error("data", "the claims table must not carry verdicts (they are answers)")
        report.passed.append("data: essay ¶1–¶10 and claims C1–C41")
    except Exception as exc:  # any failure to load is a finding, not a crash
        report.error("data", f"the datasets could not be loaded: {exc}")
        return
    check_figures(report)
    check_glossary(known_source_ids(root), report)
    from .datacheck import validate_package

    problems = validate_package()
    for problem in problems:
        report.error("data", problem)
    if not problems:
        report.passed.append(
            "data: datapackage.json valid (Frictionless), every source id resolves, "
            "facts rest on seen sources, no verdicts"
        )


def check_execution(
    lessons: list[Lesson], keys_dir: Path, report: CheckReport, progress=None
) -> None:
    """Release every module in a temporary course and grade a blank and a perfect student."""
    from nbclient import NotebookClient

    from .coursefolder import init_course
    from .gradebatch import GradeReport, autograde_modules
    from .release import ReleaseError, release_modules
    from .simulate import SimStudent, submit_student

    ids = [lesson.id for lesson in lessons]
    with tempfile.TemporaryDirectory(prefix="course-check-") as tmp:
        course = Path(tmp) / "course"
        folder = CourseFolder(course)
        init_course(course, modules=ids, keys_dir=keys_dir)
        try:
            release_modules(course, ids)
        except ReleaseError as exc:
            report.error("release", str(exc))
            return
        report.passed.append("release: no key material in any released file")
        for i, module in enumerate(ids):
            if progress:
                progress(f"Running released {module} top to bottom", i, len(ids))
            work = Path(tmp) / "student" / module
            work.mkdir(parents=True)
            nb = nbformat.read(folder.release_notebook(module), as_version=4)
            try:
                NotebookClient(
                    nb, timeout=120, resources={"metadata": {"path": str(work)}}
                ).execute()
            except Exception as exc:
                report.error(module, f"the released notebook does not run blank: {str(exc)[:500]}")
            else:
                report.passed.append(f"{module}: released notebook runs top to bottom, blank")
        keys = {m: load_key(folder.key(m)) for m in ids}
        for module in ids:
            for sim in (
                SimStudent("check-blank", "blank", 0),
                SimStudent("check-perfect", "perfect", 1),
            ):
                submit_student(course, module, sim, keys[module])
        grade = GradeReport()
        autograde_modules(course, ids, grade, force=True, progress=progress)
        import json

        for module in ids:
            for student, expect_full in (("check-blank", False), ("check-perfect", True)):
                path = folder.results_file(student, module, module)
                if not path.exists():
                    report.error(
                        module, f"{student} was not autograded: {grade.problems.get(student)}"
                    )
                    continue
                items = json.loads(path.read_text(encoding="utf-8"))["items"]
                got = sum(i["score"] for i in items)
                full = sum(i["max_score"] for i in items)
                want = full if expect_full else 0.0
                if abs(got - want) > 1e-6:
                    wrong = [
                        i["item_id"] for i in items if (i["score"] != i["max_score"]) == expect_full
                    ]
                    report.error(
                        module, f"{student} scored {got:g}/{full:g}, expected {want:g} ({wrong})"
                    )
                else:
                    report.passed.append(f"{module}: {student} scored {got:g}/{full:g} as expected")


def run_checks(
    lessons_dir: str | Path | None = None,
    keys_dir: str | Path | None = None,
    *,
    modules: list[str] | None = None,
    execute: bool = True,
    progress: Progress | None = None,
) -> CheckReport:
    """Run every check and return the report."""
    report = CheckReport()
    try:
        root = project_root()
    except LessonError:
        root = Path(lessons_dir).parent if lessons_dir else Path.cwd()
    keys = Path(keys_dir) if keys_dir else root / KEYS_DIRECTORY
    try:
        lessons = find_lessons(lessons_dir, modules)
    except LessonError as exc:
        report.error("lessons", str(exc))
        return report
    sources = known_source_ids(root)
    for lesson in lessons:
        check_lesson(lesson, keys, sources, report)
    if len(report.modules) > 1:
        course_cue = course_longest_finding(report.modules)
        if course_cue:
            report.error("course", f"item writing: {course_cue}")
        if not report.modules_with_narrative and modules is None:
            from .context import NARRATIVE_HEADING

            report.error(
                "course",
                f"no lesson has the sourced 2011–2019 narrative (a section headed "
                f"{NARRATIVE_HEADING!r}); module 03 should",
            )
    check_data(root, report)
    if execute and report.ok:
        check_execution(lessons, keys, report, progress)
    return report
