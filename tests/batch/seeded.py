"""Shared by the batch tests: a seeded class of the fixture module, submitted, not graded."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MODULE = "90-fixture"


def seeded_class(root: Path, students: int, seed: int) -> Path:
    """Build ``root/course`` with the fixture module released and a simulated class submitted.

    The fixture module has one item of every kind; cells may run 30 s.
    """
    from course.coursefolder import init_course
    from course.keys import load_key
    from course.release import release_modules
    from course.simulate import class_roster, submit_student

    course = root / "course"
    init_course(course, lessons_dir=FIXTURES / "lessons", keys_dir=FIXTURES / "keys", timeout=30)
    release_modules(course, [MODULE])
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    for student in class_roster(students, seed=seed):
        submit_student(course, MODULE, student, key, seed=seed)
    return course
