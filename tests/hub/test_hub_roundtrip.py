"""The whole round trip on the local hub, in Chromium: release, answer, submit, grade, feedback.

The instructor adds the fixture module (one item of every kind) to the hub's
course, releases it with ``course release`` and ``nbgrader release_assignment``.
Each student logs in through the hub's form, sees no instructor tool (the
Nbgrader menu, the command palette and the right side bar), fetches the module
from nbgrader's *Assignment List*, answers every item with the mouse and submits from the
*Assignment List*. The instructor collects (``nbgrader collect``), grades
(``course grade``, with the course's bubblewrap sandbox), grades the written
answers in Formgrader, grades again and releases the feedback. Each student
fetches it from the *Assignment List* and finds their own scores, equal to the
gradebook's, and no one else's. Code in a student's own kernel, and the
contents API of the student's server, cannot reach the other student's work,
the answer keys, the gradebook or the exchange's inbox.

The tests run in order and build on each other (module-scoped state).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest
from hubclient import login
from jupyterlab_driver import (
    KERNEL_TIMEOUT,
    LAB_SETTINGS,
    PALETTE_IN_PANEL,
    HubUserLab,
    assignment_list_click,
    assignment_row,
    expect,
    hub_login,
    menu,
    nbgrader_menu_entries,
    open_assignment_list,
    open_lab,
    open_notebook,
    palette_entries,
    save_notebook,
    wait_until,
)
from test_student_browser import (
    FIRST_CODE,
    NOTEBOOK,
    PARTLY,
    PARTLY_ITEM_SCORES,
    PERFECT,
    answer_by_mouse,
    code_by_mouse,
    status,
    wait_items_rendered,
    wait_saved,
    written_by_mouse,
)

pytestmark = [pytest.mark.hub, pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
MODULE = "90-fixture"
#: Printed by a student's code cell: which of these paths its kernel can see. Graded in
#: the sandbox it sees neither; in the student's own kernel only the exchange.
PROBE_PATHS = ("/home/ce-instructor/course/autograde/keys", "/srv/nbgrader/exchange")
PROBE_CODE = (
    "import os; seen = [p for p in {paths!r} if os.path.exists(p)]; "
    'print("SANDBOX-PROBE", seen); distance = 225'
)
#: Each student's plan: answers, code for the computed item, written answer, and the
#: written answer's score given in Formgrader. Autograded: 14 and 7 of 14 points.
PLANS = {
    "ce-ann": {
        "answers": PERFECT,
        "code": "import pandas as pd; distance = int(pd.Series([150, 75]).sum())",
        "written": "Roads bend around the desert, so the road distance is longer (ann).",
        "manual": 2,
        "score": 16.0,
    },
    "ce-ben": {
        "answers": PARTLY,
        "code": PROBE_CODE.format(paths=PROBE_PATHS),
        "written": "A straight line ignores the route that vehicles take (ben).",
        "manual": 1,
        "score": 8.0,
    },
}
MAX_SCORE = 16.0  # 14 autograded + 2 written

#: Run in the student's own kernel: what each path gives when opened (or listed).
PROBE_NOTEBOOK_CODE = """\
import json, os
def attempt(path):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as handle:
                handle.read(1)
    except PermissionError:
        return "PermissionError"
    except OSError as exc:
        return type(exc).__name__
    return "readable"
print("PROBE-RESULT", json.dumps({{p: attempt(p) for p in {paths!r}}}))
"""

#: Filled in by the tests as they run, in order.
STATE: dict = {}


# -- helpers ------------------------------------------------------------------------------


def run_checked(hub, user: str, *args: str | os.PathLike[str], timeout: float = 900) -> str:
    """Run a command as ``user`` (in their home); fail with its output."""
    done = hub.run_as(user, *args, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def in_course(hub, *args: str | os.PathLike[str], timeout: float = 900) -> str:
    """Run a command as the instructor inside the course folder (nbgrader reads its config)."""
    script = 'cd "$1" && shift && exec "$@"'
    return run_checked(
        hub,
        hub.layout.instructor,
        "bash",
        "-c",
        script,
        "bash",
        hub.course_dir,
        *args,
        timeout=timeout,
    )


def forget_module(hub) -> None:
    """Remove what an earlier round trip left of the module (a kept hub runs it again)."""
    layout = hub.layout
    for student in layout.students:
        home = layout.home(student)
        shutil.rmtree(home / MODULE, ignore_errors=True)
        (home / "probe.ipynb").unlink(missing_ok=True)
        cache = home / ".local" / "share" / "jupyter" / "nbgrader_cache" / layout.course_id
        for entry in cache.glob(f"*+{MODULE}+*"):
            shutil.rmtree(entry, ignore_errors=True)
    course_in_exchange = layout.exchange / layout.course_id
    shutil.rmtree(course_in_exchange / "outbound" / MODULE, ignore_errors=True)
    for entry in (course_in_exchange / "inbound").glob(f"*+{MODULE}+*"):
        shutil.rmtree(entry, ignore_errors=True)
    course = hub.course_dir
    # Released feedback is named by a hash of each submission's secret (nbgrader's scheme).
    from nbgrader.utils import notebook_hash

    for secret in (course / "submitted").glob(f"*/{MODULE}/submission_secret.txt"):
        name = notebook_hash(secret=secret.read_text(encoding="utf-8"), notebook_id=MODULE)
        (course_in_exchange / "feedback" / f"{name}.html").unlink(missing_ok=True)
    for stage in ("submitted", "autograded", "feedback"):
        for entry in (course / stage).glob(f"*/{MODULE}"):
            shutil.rmtree(entry, ignore_errors=True)
    if (course / "gradebook.db").exists():
        script = 'cd "$1" && exec nbgrader db assignment remove "$2" --force'
        done = hub.run_as(layout.instructor, "bash", "-c", script, "bash", course, MODULE)
        assert done.returncode == 0 or "No such assignment" in done.stderr, done.stderr


def gradebook_scores(hub) -> dict:
    """The gradebook's scores for the module, by student: total, maximum and by item."""
    code = (
        "import json, sys\n"
        "from course.gradebook import open_gradebook\n"
        "out = {}\n"
        "with open_gradebook(sys.argv[1]) as gb:\n"
        "    for student in sys.argv[3:]:\n"
        "        nb = gb.find_submission_notebook(sys.argv[2], sys.argv[2], student)\n"
        "        out[student] = {'score': nb.score, 'max_score': nb.max_score,\n"
        "            'items': {g.name: g.score for g in nb.grades}}\n"
        "print(json.dumps(out))\n"
    )
    python = hub.layout.env / "bin" / "python"
    out = run_checked(
        hub,
        hub.layout.instructor,
        python,
        "-c",
        code,
        hub.course_dir,
        MODULE,
        *hub.layout.students,
    )
    return dict(json.loads(out.strip().splitlines()[-1]))


def student_lab(hub, user: str) -> HubUserLab:
    return HubUserLab(hub.url, user, hub.layout.home(user))


def write_probe_notebook(hub, user: str, paths: list[str]) -> None:
    """Put a one-cell notebook in the student's home that tries to open ``paths``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(PROBE_NOTEBOOK_CODE.format(paths=paths))]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    target = hub.layout.home(user) / "probe.ipynb"
    nbformat.write(nb, target)
    entry = target.parent.stat()
    os.chown(target, entry.st_uid, entry.st_gid)


def visible_text(html: str) -> str:
    """The page's text, without styles and scripts, whitespace collapsed."""
    html = re.sub(r"<(style|script|head)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    return " ".join(text.replace("&nbsp;", " ").split())


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def released(hub):
    """The fixture module in the instructor's course, built, released to the exchange."""
    layout = hub.layout
    instructor = layout.instructor
    forget_module(hub)
    home = layout.home(instructor)
    staging = home / ".roundtrip-source"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(FIXTURES / "lessons", staging / "lessons")
    shutil.copytree(FIXTURES / "keys", staging / "keys")
    owner = home.stat()
    for path in [staging, *staging.rglob("*")]:
        os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)
    course = layout.env / "bin" / "course"
    try:
        run_checked(
            hub,
            instructor,
            course,
            "init",
            hub.course_dir,
            MODULE,
            "--lessons",
            staging / "lessons",
            "--keys",
            staging / "keys",
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    run_checked(hub, instructor, course, "release", hub.course_dir, MODULE)
    in_course(hub, "nbgrader", "release_assignment", MODULE, "--force")
    yield layout.exchange / layout.course_id / "outbound" / MODULE
    forget_module(hub)


@pytest.fixture(scope="module")
def servers(hub, released):
    """Every person's server running (started through the hub's API); stopped afterwards.

    Each person's JupyterLab gets the browser tests' settings first (every cell
    rendered, no news toast, the command palette in the left side panel), removed again
    afterwards.
    """
    written = []
    for user in hub.users:
        home = hub.layout.home(user)
        owner = home.stat()
        for relative, data in {**LAB_SETTINGS, **PALETTE_IN_PANEL}.items():
            path = home / ".jupyter" / "lab" / "user-settings" / relative
            if path.exists():
                continue
            made = [p for p in [*reversed(path.parents), path] if home in p.parents]
            made = [p for p in made if not p.exists()]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data), encoding="utf-8")
            for new in made:
                os.chown(new, owner.st_uid, owner.st_gid)
            written.append(path)
    people = {user: login(hub.url, user, hub.passwords[user]) for user in hub.users}
    for session in people.values():
        session.spawn()
    yield people
    for session in people.values():
        session.stop_server()
    for path in written:
        path.unlink(missing_ok=True)


# -- the round trip -----------------------------------------------------------------------


def test_instructor_released_the_module(hub, released):
    """`course release` and `nbgrader release_assignment` put the student notebook outbound."""
    notebook = released / f"{MODULE}.ipynb"
    assert notebook.is_file()
    assert "YOUR ANSWER HERE" in notebook.read_text(encoding="utf-8")
    settings = hub.course_dir / "nbgrader_config.py"
    assert "sandbox='bubblewrap'" in settings.read_text(encoding="utf-8")


@pytest.mark.parametrize("student", ["ce-ann", "ce-ben"])
def test_student_fetches_answers_and_submits(hub, servers, browse, student):
    """Log in, no instructor tool in sight, fetch, answer every item, submit: all in the page."""
    plan = PLANS[student]
    page = browse(student)
    lab = student_lab(hub, student)
    hub_login(page, hub.url, student, hub.passwords[student])
    open_lab(page, lab)

    # No instructor tool in the page: the Nbgrader menu, the command palette, the
    # right side bar (nbgrader's Create Assignment panel) and the commands' buttons.
    assert nbgrader_menu_entries(page) == ["Assignment List"]
    entries = palette_entries(page)
    assert entries.get("nbgrader") == ["Assignment List"], entries.get("nbgrader")
    instructor_tools = re.compile(r"formgrader|course list|create assignment", re.I)
    shown = [label for labels in entries.values() for label in labels]
    assert len(shown) > 50, "the palette lists JupyterLab's own commands too"
    assert not [label for label in shown if instructor_tools.search(label)], shown
    expect(page.locator("#nbgrader-create_assignemnt")).to_have_count(0)  # nbgrader's spelling
    right = page.locator(".jp-SideBar.jp-mod-right .lm-TabBar-tab")
    expect(right.first).to_be_attached()
    assert not [t for t in right.all_inner_texts() if instructor_tools.search(t)]
    assert not [t for t in right.all() if instructor_tools.search(t.get_attribute("title") or "")]
    commands = page.locator('[data-command^="nbgrader:"]')
    assert {c.get_attribute("data-command") for c in commands.all()} <= {
        "nbgrader:open-assignment-list"
    }

    panel = open_assignment_list(page)
    assignment_list_click(panel, "released", MODULE, "Fetch")
    expect(assignment_row(panel, "fetched", MODULE)).to_be_visible(timeout=KERNEL_TIMEOUT)
    wait_until((lab.root / NOTEBOOK).is_file, "the fetched notebook")

    from course.grading.context import source_specs

    specs = source_specs(hub.course_dir / "source" / MODULE / f"{MODULE}.ipynb")
    assert set(specs) == set(PERFECT), "the fixture module changed: update this test"
    open_notebook(page, lab, NOTEBOOK, FIRST_CODE)
    menu(page, "Run", "runmenu:run-all")
    wait_items_rendered(page, specs)
    code_by_mouse(page, plan["code"])
    written_by_mouse(page, plan["written"])
    expected = plan["answers"]
    wait_saved(lab, {"f-computed": expected["f-computed"]}, timeout=KERNEL_TIMEOUT / 1000)
    for item_id, value in expected.items():
        if item_id == "f-computed":
            continue
        answer_by_mouse(page, specs[item_id], value)
        wait_saved(lab, {item_id: value})
        expect(status(page, item_id)).to_have_text(re.compile(r"^Saved"))
    wait_saved(lab, expected)
    save_notebook(page, keyboard=False)
    wait_until(
        lambda: plan["written"] in (lab.root / NOTEBOOK).read_text(encoding="utf-8"),
        "the written answer on disk",
    )

    panel = open_assignment_list(page)
    assignment_list_click(panel, "fetched", MODULE, "Submit")
    expect(assignment_row(panel, "submitted", MODULE)).to_be_visible(timeout=KERNEL_TIMEOUT)
    inbound = hub.layout.exchange / hub.layout.course_id / "inbound"
    mine = wait_until(lambda: sorted(inbound.glob(f"{student}+{MODULE}+*")), "the submission")
    assert len(mine) == 1, mine
    # nbgrader names a submission with its time and a random part no one else can list.
    assert re.fullmatch(rf"{student}\+{MODULE}\+[^+]+\+[A-Za-z0-9_=-]{{12}}", mine[0].name)
    submitted = mine[0] / ".90-fixture.answers.json"
    assert submitted.is_file(), "the answers file travels with the submission"


def test_instructor_collects_grades_in_the_sandbox_and_in_formgrader(hub, servers, browse):
    """Collect, `course grade` (bubblewrap), hand-grade in Formgrader, grade again, release."""
    absent = [s for s in hub.layout.students if not (hub.layout.home(s) / NOTEBOOK).is_file()]
    assert not absent, f"no submission from {absent}: the tests above failed or did not run"
    instructor = hub.layout.instructor
    in_course(hub, "nbgrader", "collect", MODULE)
    for student in hub.layout.students:
        assert (hub.course_dir / "submitted" / student / MODULE / f"{MODULE}.ipynb").is_file()

    course = hub.layout.env / "bin" / "course"
    first = run_checked(hub, instructor, course, "grade", hub.course_dir, MODULE, "-j", "1")
    assert "bubblewrap" in first, first
    # Ben's code cell printed what it could see: in the sandbox, neither the keys nor
    # the exchange (the student's own kernel saw the exchange).
    graded = hub.course_dir / "autograded" / "ce-ben" / MODULE / f"{MODULE}.ipynb"
    outputs = [
        "".join(out.get("text", ""))
        for cell in json.loads(graded.read_text(encoding="utf-8"))["cells"]
        for out in cell.get("outputs", [])
        if "SANDBOX-PROBE" in "".join(out.get("text", ""))
    ]
    assert outputs == ["SANDBOX-PROBE []\n"], outputs

    page = browse(instructor)
    hub_login(page, hub.url, instructor, hub.passwords[instructor])
    base = f"{hub.url}user/{instructor}/formgrader"
    page.goto(f"{base}/gradebook/{MODULE}/{MODULE}")
    links = page.get_by_role("link", name=re.compile(r"^Submission #\d+$"))
    expect(links).to_have_count(len(hub.layout.students), timeout=KERNEL_TIMEOUT)
    addresses = [links.nth(n).get_attribute("href") for n in range(links.count())]
    graded_by_hand = {}
    for address in addresses:
        page.goto(f"{hub.url.rstrip('/')}{address}" if address.startswith("/") else address)
        written = (
            page.locator(".nbgrader_cell")
            .filter(has_text="(ann).")
            .or_(page.locator(".nbgrader_cell").filter(has_text="(ben)."))
        )
        expect(written).to_have_count(1, timeout=KERNEL_TIMEOUT)
        student = "ce-ann" if "(ann)." in written.inner_text() else "ce-ben"
        score = written.locator("input.score")
        score.fill(str(PLANS[student]["manual"]))
        score.press("Tab")  # the change event saves the grade
        expect(written.locator(".score-saved.glyphicon-ok")).to_be_visible()
        graded_by_hand[student] = PLANS[student]["manual"]
    assert sorted(graded_by_hand) == sorted(hub.layout.students)
    wait_until(
        lambda: all(
            gradebook_scores(hub)[s]["items"].get("f-written") == PLANS[s]["manual"]
            for s in hub.layout.students
        ),
        "the hand grades in the gradebook",
        timeout=60,
    )

    second = run_checked(hub, instructor, course, "grade", hub.course_dir, MODULE, "-j", "1")
    assert "Provisional feedback" not in second, second
    in_course(hub, "nbgrader", "release_feedback", MODULE)
    scores = gradebook_scores(hub)
    for student in hub.layout.students:
        assert scores[student]["score"] == PLANS[student]["score"], scores
        assert scores[student]["max_score"] == MAX_SCORE, scores
        assert scores[student]["items"]["f-written"] == PLANS[student]["manual"], scores
    ben = scores["ce-ben"]["items"]
    assert {item: ben[item] for item in PARTLY_ITEM_SCORES} == PARTLY_ITEM_SCORES, ben
    STATE["gradebook"] = scores


@pytest.mark.parametrize("student", ["ce-ann", "ce-ben"])
def test_student_fetches_own_feedback_with_the_gradebooks_scores(hub, servers, browse, student):
    """Fetch Feedback in the Assignment List; the page shows this student's gradebook scores."""
    scores = STATE.get("gradebook")
    assert scores, "grading did not run: the tests above failed or did not run"
    page = browse(student)
    lab = student_lab(hub, student)
    hub_login(page, hub.url, student, hub.passwords[student])
    open_lab(page, lab)
    panel = open_assignment_list(page)
    assignment_list_click(panel, "submitted", MODULE, "Fetch Feedback")
    row = assignment_row(panel, "submitted", MODULE)
    expect(row.get_by_text("(view feedback)")).to_be_visible(timeout=KERNEL_TIMEOUT)
    files = wait_until(
        lambda: sorted((lab.root / MODULE / "feedback").glob(f"*/{MODULE}.html")), "feedback"
    )
    assert len(files) == 1, files
    relative = files[0].relative_to(lab.root).as_posix()
    page.goto(f"{lab.base}/files/{relative}")
    text = " ".join(page.locator("body").inner_text().split())
    mine = scores[student]
    total = f"Score: {mine['score']:g} / {mine['max_score']:g}"
    assert total in text, (total, text[:2000])
    for item_id in PERFECT:
        fieldset = page.locator(f'fieldset[data-item-id="{item_id}"]')
        expect(fieldset).to_have_count(1)
        shown = " ".join(fieldset.inner_text().split())
        assert f"Score: {mine['items'][item_id]:g} / " in shown, (item_id, shown)
    assert f"Your written answer Score: {mine['items']['f-written']:g} / 2" in text
    others = [s for s in hub.layout.students if s != student]
    for other in others:
        assert PLANS[other]["written"] not in text
        assert other not in text
    assert PLANS[student]["written"] in text


@pytest.mark.parametrize("student", ["ce-ann"])
def test_student_cannot_reach_others_work_keys_or_gradebook(hub, servers, browse, student):
    """In the student's own kernel and through the server's contents API: nothing outside home."""
    other = next(s for s in hub.layout.students if s != student)
    course = hub.course_dir
    exchange = hub.layout.exchange / hub.layout.course_id
    targets = [
        hub.layout.home(other),
        hub.layout.home(other) / NOTEBOOK,
        course,
        course / "gradebook.db",
        course / "autograde" / "keys" / f"{MODULE}.yaml",
        course / "submitted" / other / MODULE / f"{MODULE}.ipynb",
        course / "feedback" / other / MODULE / f"{MODULE}.html",
        exchange / "inbound",
        exchange / "feedback",
    ]
    missing = [str(t) for t in targets if not t.exists()]
    assert not missing, f"the round trip did not leave {missing}"
    assert stat.S_IMODE((exchange / "inbound").stat().st_mode) & 0o004 == 0
    paths = [str(t) for t in targets]
    write_probe_notebook(hub, student, paths)

    page = browse(student)
    lab = student_lab(hub, student)
    hub_login(page, hub.url, student, hub.passwords[student])
    open_notebook(page, lab, "probe.ipynb", "def attempt(path)")
    menu(page, "Run", "runmenu:run-all")
    output = page.locator(".jp-OutputArea-output").filter(has_text="PROBE-RESULT")
    expect(output).to_have_count(1, timeout=KERNEL_TIMEOUT)
    result = json.loads(output.inner_text().split("PROBE-RESULT", 1)[1])
    assert result == dict.fromkeys(paths, "PermissionError"), result

    session = servers[student]
    session.lab_page_config()  # the server's own login cookie
    own = session.get(f"user/{student}/api/contents/{NOTEBOOK}")
    assert own.status_code == 200, own.status_code
    other_text = PLANS[other]["written"]
    for path in (
        f"user/{student}/api/contents/../{other}/{NOTEBOOK}",
        f"user/{student}/api/contents/%2E%2E/{other}/{NOTEBOOK}",
        f"user/{student}/api/contents/%2E%2E/ce-instructor/course/gradebook.db",
        f"user/{student}/files/%2E%2E/{other}/{NOTEBOOK}",
        f"user/{student}/api/contents/{str(exchange / 'inbound').lstrip('/')}",
        f"user/{other}/api/contents/{NOTEBOOK}",
    ):
        response = session.get(path)
        assert response.status_code in (400, 403, 404), (path, response.status_code)
        assert other_text not in response.text, path
