"""A one-page debrief of a module, built from its key, for the instructor to show in class.

For each graded item, in the order of the notebook: the question, the correct
answer, why it is right (with every other defensible answer and its reason),
and the misconception behind each wrong option; for each written answer,
what a strong answer contains. When the module has been graded, each item
also shows how the class did (share with full credit, and the wrong option
picked most), so the hardest items can be taken first.

The page shows the keys, so :func:`write_debrief` refuses to write it until
the module's explanations are released (``course explain``), unless asked for
an instructor's preview, which says so at the top.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .grading.context import source_specs
from .grading.explain import explanations_released, read_schedule
from .grading.score import describe_key
from .items.spec import ItemSpec
from .keys import ItemKey, load_key
from .paths import CourseFolder

__all__ = ["DebriefError", "DebriefItem", "build_debrief", "debrief_items", "write_debrief"]

_TEMPLATES = Path(__file__).parent / "templates"


class DebriefError(RuntimeError):
    """Raise when a debrief may not, or cannot, be written."""


@dataclass
class DebriefItem:
    """What the debrief says about one item."""

    item_id: str
    prompt: str
    points: float
    answer: str
    explanation: str
    also: list[str] = field(default_factory=list)
    wrong: list[tuple[str, str]] = field(default_factory=list)
    written: bool = False
    share_correct: float | None = None
    top_wrong: str | None = None


def _label(spec: ItemSpec, option: str) -> str:
    text = spec.options.get(option) or spec.statements.get(option) or option
    return f"{option}) {text}"


def _also(key: ItemKey) -> list[str]:
    out = []
    for target, value in key.defensible.items():
        if isinstance(value, dict):
            out += [f"{target}: {category}. {reason}" for category, reason in value.items()]
        else:
            out.append(f"{target}. {value}")
    return out


def debrief_items(course_dir: str | Path, module: str) -> list[DebriefItem]:
    """Return the debrief of every graded item and written answer of ``module``."""
    folder = CourseFolder(course_dir)
    notebook = folder.source_notebook(module)
    key = load_key(folder.key(module))
    out = []
    for item_id, spec in source_specs(notebook).items():
        item_key = key.items.get(item_id)
        if not spec.graded or item_key is None:
            continue
        wrong = [(_label(spec, o), text) for o, text in item_key.misconceptions.items()]
        out.append(
            DebriefItem(
                item_id=item_id,
                prompt=spec.prompt,
                points=float(spec.points or 0),
                answer=describe_key(spec, item_key),
                explanation=item_key.explanation,
                also=_also(item_key),
                wrong=wrong,
            )
        )
    for item_id, written in key.written.items():
        out.append(
            DebriefItem(
                item_id=item_id,
                prompt="Written answer (graded by hand)",
                points=float(max((lvl.get("level", 0) for lvl in written.rubric), default=0)),
                answer="See what a strong answer contains.",
                explanation=written.explanation,
                written=True,
            )
        )
    return out


def _class_results(course_dir: Path, module: str, items: list[DebriefItem]) -> bool:
    """Add the class's results to ``items`` when the module has been graded; return whether."""
    from .report.analysis import difficulty
    from .report.data import load_report_data

    try:
        data = load_report_data(course_dir, [module])
    except Exception:  # no gradebook or no grades yet: the debrief stands without them
        return False
    scored = data.responses[data.responses["kind"] != "written"]
    if scored.empty:
        return False
    facility = difficulty(scored)
    for item in items:
        if (module, item.item_id) in facility.index:
            item.share_correct = float(facility.loc[(module, item.item_id), "share_correct"])
        picks = data.picks[(data.picks["item_id"] == item.item_id)]
        catalogue = data.catalogue[data.catalogue["item_id"] == item.item_id]
        wrong_ids = set(catalogue.loc[~catalogue["correct"].astype(bool), "option"])
        counts = picks[picks["option"].isin(wrong_ids)]["option"].value_counts()
        if len(counts):
            item.top_wrong = f"{counts.index[0]} ({int(counts.iloc[0])} students)"
    return True


def build_debrief(
    course_dir: str | Path, module: str, *, preview: bool = False, title: str | None = None
) -> str:
    """Return the debrief page of ``module`` as HTML."""
    course_dir = Path(course_dir)
    items = debrief_items(course_dir, module)
    graded = _class_results(course_dir, module, items)
    if graded:
        order = sorted(
            range(len(items)),
            key=lambda i: (items[i].share_correct is None, items[i].share_correct or 0),
        )
        hardest = [items[i].item_id for i in order if items[i].share_correct is not None][:3]
    else:
        hardest = []
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("debrief.html.j2").render(
        module=module,
        title=title or f"Debrief: {module}",
        items=items,
        graded=graded,
        hardest=hardest,
        preview=preview,
        written_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_debrief(
    course_dir: str | Path,
    module: str,
    output: str | Path | None = None,
    *,
    preview: bool = False,
) -> Path:
    """Write the debrief of ``module`` and return its path (default ``debrief/<module>.html``).

    Raises
    ------
    DebriefError
        If the module's explanations are not released and ``preview`` is false.
    """
    course_dir = Path(course_dir)
    schedule = read_schedule(CourseFolder(course_dir).explanations)
    if not preview and not explanations_released(schedule, module):
        when = schedule.get(module)
        state = f"scheduled for {when.isoformat()}" if when else "not released"
        raise DebriefError(
            f"The debrief of {module} shows its answers, and its explanations are {state}. "
            f"Release them first (`course explain {course_dir} {module} --at now`), or write "
            f"an instructor's preview with --preview and keep it away from students."
        )
    path = Path(output) if output else CourseFolder(course_dir).debrief(module)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_debrief(course_dir, module, preview=preview), encoding="utf-8")
    return path
