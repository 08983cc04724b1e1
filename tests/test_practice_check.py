"""`course check` asks every module to practise with feedback before it grades the same skill."""

from __future__ import annotations

from pathlib import Path

from course.checks import MIN_PRACTICE, run_checks

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SKILL = "finding a claim in the essay"


def _practice(item_id: str, explanation: str, skill: str = SKILL) -> str:
    return f'''
```{{code-cell}} ipython3
{item_id.replace("-", "_")} = SingleChoice(
    id="{item_id}",
    prompt="Which paragraph names the Russian air force?",
    options={{"a": "¶8", "b": "¶9", "c": "¶10"}},
    practice={{
        "answer": "b",
        "feedback": {{"a": "¶8 is about the battle.", "b": "Yes.", "c": "¶10 concludes."}},
        "explanation": "{explanation}",
        "skill": "{skill}",
    }},
)
{item_id.replace("-", "_")}
```
'''


def _module(tmp_path: Path, practice: list[str], *, after: bool = False) -> tuple[Path, Path]:
    """The fixture lesson with ``practice`` cells before (or after) its graded items."""
    lessons, keys = tmp_path / "lessons", tmp_path / "keys"
    lessons.mkdir()
    keys.mkdir()
    text = (FIXTURES / "lessons" / "90-fixture.md").read_text(encoding="utf-8")
    first_item = text.index("```{code-cell} ipython3\nq_single")
    cells = "".join(practice)
    text = text + cells if after else text[:first_item] + cells + "\n" + text[first_item:]
    (lessons / "90-fixture.md").write_text(text, encoding="utf-8")
    key = (FIXTURES / "keys" / "90-fixture.yaml").read_text(encoding="utf-8")
    key = key.replace("  f-single:\n", f"  f-single:\n    skills: [{SKILL}]\n", 1)
    (keys / "90-fixture.yaml").write_text(key, encoding="utf-8")
    return lessons, keys


def _practice_findings(lessons: Path, keys: Path) -> tuple[list[str], list[str]]:
    report = run_checks(lessons, keys, execute=False)
    errors = [f.message for f in report.findings if f.error and "practice" in f.message]
    passed = [line for line in report.passed if "practice items" in line]
    return errors, passed


def test_two_cited_practice_items_before_the_graded_skill_pass(tmp_path):
    """Do two practice items citing C#/S#, placed before the item of their skill, pass?"""
    cells = [_practice(f"f-practice-{n}", "¶9 names it (C32; S88).") for n in range(MIN_PRACTICE)]
    errors, passed = _practice_findings(*_module(tmp_path, cells))
    assert errors == []
    assert passed == [f"90-fixture: {MIN_PRACTICE} practice items before the graded ones"]


def test_practice_after_the_graded_item_does_not_count(tmp_path):
    """Is practice placed after the graded work of its skill reported, with what to do?"""
    cells = [_practice(f"f-practice-{n}", "¶9 names it (C32).") for n in range(MIN_PRACTICE)]
    errors, _ = _practice_findings(*_module(tmp_path, cells, after=True))
    assert any("no graded item after it" in e and "f-practice-0" in e for e in errors)
    assert any(f"each module needs at least {MIN_PRACTICE}" in e for e in errors)


def test_practice_feedback_must_say_why_with_sources(tmp_path):
    """Is feedback that cites no claim or source, or an unknown one, reported?"""
    cells = [
        _practice("f-practice-0", "Because it does."),
        _practice("f-practice-1", "See (C99; S999)."),
    ]
    errors, _ = _practice_findings(*_module(tmp_path, cells))
    assert any("f-practice-0" in e and "cites no claim" in e for e in errors)
    assert any("f-practice-1" in e and "C99" in e and "S999" in e for e in errors)


def test_practice_about_the_course_itself_is_not_counted(tmp_path):
    """Does a module with only skill-less practice (how saving works) still fail the check?"""
    cell = _practice("f-practice-0", "(C32)").replace(f'        "skill": "{SKILL}",\n', "")
    errors, _ = _practice_findings(*_module(tmp_path, [cell]))
    assert any("0 practice item(s)" in e for e in errors)
