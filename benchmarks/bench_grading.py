"""Benchmark grading classes: plain serial nbgrader against `course grade`.

Run from the repository root with the course's Python::

    python benchmarks/bench_grading.py        # 60 students × 3 modules; 30 × 01-close-reading
    python benchmarks/bench_grading.py --classes "20:1"
    python benchmarks/bench_grading.py --classes "60:3;30:00-orientation,01-close-reading"
    python benchmarks/bench_grading.py --jobs 4 --no-dask --json results.json
    python benchmarks/bench_grading.py --check    # exit 1 if a target is missed

``--classes`` lists the classes to measure in one run, separated by ``;``.
Each is ``STUDENTS:MODULES``, MODULES being a count (the first N modules with
an answer key) or module ids separated by commas. The default,
``60:3;30:01-close-reading``, is 60 students × the first 3 modules and 30
students × module 01-close-reading.

For each class it builds a course folder from the repository's lessons and
keys, releases it, submits a seeded simulated class (``course.simulate``) and
copies the folder once per way of grading, so each starts from the same
submissions:

1. **serial nbgrader** (the reference): ``nbgrader autograde MODULE --create
   --force``, one process per module, one module after the other (nbgrader as
   documented);
2. with ``--jobs1`` only: ``course grade --jobs 1 --no-feedback``;
3. ``course grade --jobs N --no-feedback`` (N: ``--jobs``, default the cores);
4. ``course grade --jobs N --fast --no-feedback``, for the modules the fast
   path accepts;
5. for the last class only (the smallest, by default) and unless ``--no-dask``:
   ``course grade --scheduler ADDRESS --no-feedback`` on a local Dask cluster
   the script starts itself (``python -m dask scheduler`` and two ``python -m
   dask worker`` processes of one thread each, on 127.0.0.1, logging to the
   work folder) just before this run and stops afterwards, whatever happens.
   The time excludes starting the cluster; the peak memory is that of
   ``course grade`` only, not of the Dask workers.

Once, on the first class, with ``--broken K`` (default 3): ``course grade
--jobs N --no-feedback`` on a copy where K students' submissions of the first
module are broken (a notebook that is not JSON, one whose code kills the
grading process, one that never stops), checking that the batch finishes and
lists every student.

Each run is one child process (serial nbgrader: one per module) timed from
outside (wall time) while a sampler adds up the resident memory of it and all
its descendants every 0.1 s (peak RSS). Grades and per-item results of every
run are compared with the serial run of the same class. One table per class.

Targets, printed as ratios against serial nbgrader: ``--jobs N`` at least 1.7
times its throughput on every class; the fast path at least 50 times on 60
students × 3 modules and at least 20 times on 30 students × module
01-close-reading (10 times on any other class). ``--check`` exits 1 if a
target is missed, a run's grades differ from serial nbgrader's, or the broken
run does not list every student. This is not a test: the numbers depend on
the machine and on what else it runs. See docs/benchmarks.md for measured
numbers and how to read them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
TARGET_PARALLEL = 1.7
#: Fast path against serial nbgrader, by class spec; other classes: TARGET_FAST_DEFAULT.
TARGET_FAST = {"60:3": 50.0, "30:01-close-reading": 20.0}
TARGET_FAST_DEFAULT = 10.0
DEFAULT_CLASSES = "60:3;30:01-close-reading"
DASK_WORKERS = 2
DASK_RUN = f"course grade --scheduler ({DASK_WORKERS} Dask workers)"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONWARNINGS", "ignore")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


class PeakMemory:
    """Sample the summed RSS of a process and its descendants until stopped."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.pid, self.every, self.peak = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                procs = []
            total = 0
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def stop(self) -> float:
        """Stop sampling; return the peak in MiB."""
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def timed(commands: list[list[str]], cwd: Path) -> tuple[float, float]:
    """Run commands one after the other; return (wall seconds, peak MiB of any one)."""
    started = time.perf_counter()
    peak = 0.0
    for cmd in commands:
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        sampler = PeakMemory(proc.pid)
        proc.wait()
        peak = max(peak, sampler.stop())
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}")
    return time.perf_counter() - started, peak


def build_class(folder: Path, modules: list[str], students: int, seed: int) -> list[str]:
    """Create, release and submit the simulated class; return the module ids."""
    from course.coursefolder import init_course
    from course.release import release_modules
    from course.simulate import class_roster, submit_class

    lessons = init_course(folder, modules=modules or None, timeout=60)
    ids = [lesson.id for lesson in lessons]
    release_modules(folder, ids)
    submit_class(folder, ids, class_roster(students, seed), seed=seed)
    return ids


def results(folder: Path, modules: list[str]):
    """Return the scores and the per-item results of a graded folder."""
    from course.export import collect_grades, collect_items

    grades = collect_grades(folder, modules)
    columns = ["student_id", "module", "score", "max_score", "needs_manual_grade"]
    return grades[columns].reset_index(drop=True), collect_items(folder, modules)


BREAKERS = {
    "not JSON": None,
    "kills the grading process": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
    "never stops": "while True:\n    pass\n",
}


def break_submissions(folder: Path, module: str, count: int) -> dict[str, str]:
    """Break the last ``count`` submissions of ``module``; return student -> how."""
    import nbformat
    from nbformat.v4 import new_code_cell

    students = sorted(p.name for p in (folder / "submitted").iterdir())[-count:] if count else []
    kinds = list(BREAKERS)
    broken = {}
    for i, student in enumerate(students):
        kind = kinds[i % len(kinds)]
        path = folder / "submitted" / student / module / f"{module}.ipynb"
        if BREAKERS[kind] is None:
            path.write_text("{ this is not a notebook", encoding="utf-8")
        else:
            nb = nbformat.read(path, as_version=4)
            nb.cells.insert(3, new_code_cell(BREAKERS[kind]))
            nbformat.write(nb, path)
        broken[student] = kind
    return broken


def broken_run(base: Path, work: Path, modules: list[str], jobs: int, count: int) -> dict:
    """Grade a copy with ``count`` broken submissions; return what happened."""
    import pandas as pd

    folder = work / "broken"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(base, folder)
    broken = break_submissions(folder, modules[0], count)
    cmd = [sys.executable, "-c", "from course.cli import main; main()", "grade", "."]
    started = time.perf_counter()
    proc = subprocess.run(
        [*cmd, "--jobs", str(jobs), "--no-feedback"], cwd=folder, env=_env(), capture_output=True
    )
    wall = time.perf_counter() - started
    grades = pd.read_csv(folder / "exports" / "grades.csv")
    submitted = {(p.parent.name, p.name) for p in (folder / "submitted").glob("*/*")}
    listed = set(zip(grades["student_id"], grades["module"], strict=True))
    return {
        "run": f"course grade --jobs {jobs}, {count} broken",
        "wall_s": round(wall, 1),
        "exit_code": proc.returncode,
        "submissions": len(submitted),
        "all_listed": submitted == listed,
        "ungraded": sorted(grades.loc[~grades["graded"], "student_id"]),
        "broken": broken,
    }


def _modules(spec: str) -> tuple[list[str], int]:
    if spec.isdigit():
        from course.lessons import find_lessons

        keys = ROOT / "autograde" / "keys"
        ids = [le.id for le in find_lessons() if (keys / f"{le.id}.yaml").exists()]
        return ids[: int(spec)], int(spec)
    names = [m.strip() for m in spec.split(",") if m.strip()]
    return names, len(names)


def _classes(spec: str) -> list[tuple[str, int, str]]:
    """Split ``--classes`` into (spec, students, modules spec) per class."""
    found = []
    for part in (p.strip() for p in spec.split(";")):
        if not part:
            continue
        students, sep, modules = part.partition(":")
        if not sep or not students.strip().isdigit() or not modules.strip():
            raise ValueError(f"{part!r} is not STUDENTS:MODULES")
        found.append((part, int(students), modules.strip()))
    if not found:
        raise ValueError("no class given")
    return found


def _describe(students: int, spec: str, modules: list[str]) -> str:
    """'60 students × 3 modules', '30 students × module 01-close-reading'."""
    if spec.isdigit():
        return f"{students} students × {len(modules)} module{'s' * (len(modules) != 1)}"
    if len(modules) == 1:
        return f"{students} students × module {modules[0]}"
    return f"{students} students × modules {', '.join(modules)}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process started in its own session, and everything in that session."""
    try:
        procs = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.Error:
        procs = []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    _, alive = psutil.wait_procs(procs, timeout=15)
    for leftover in alive:
        with contextlib.suppress(psutil.Error):
            leftover.kill()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=5)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


@contextlib.contextmanager
def dask_cluster(logs: Path, workers: int = DASK_WORKERS) -> Iterator[str]:
    """Start a Dask scheduler and ``workers`` one-thread workers on 127.0.0.1; yield its address.

    Each is a process in a session of its own, logging to ``logs``; all are
    stopped on the way out (SIGTERM to the session, SIGKILL after 15 s).
    """
    from distributed import Client

    logs.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> None:
        with (logs / f"{name}.log").open("wb") as log:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "dask", *args],
                    cwd=logs,
                    env=_env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    try:
        start(
            "scheduler",
            *("scheduler", "--host", "127.0.0.1", "--port", str(port)),
            *("--dashboard-address", "127.0.0.1:0"),
        )
        for n in range(1, workers + 1):
            start(
                f"worker-{n}",
                *("worker", address, "--host", "127.0.0.1", "--name", f"bench-{n}"),
                *("--nthreads", "1", "--nworkers", "1", "--no-dashboard"),
            )
        client = Client(address, timeout=60, set_as_default=False)
        try:
            client.wait_for_workers(workers, timeout=120)
        finally:
            client.close()
        yield address
    finally:
        for proc in reversed(procs):  # the workers, then the scheduler
            _stop(proc)


def _speedups(rows: list[dict]) -> None:
    """Add each row's throughput as a multiple of the first (serial nbgrader) row's."""
    serial = rows[0]
    base_rate = serial["submissions"] / serial["wall_s"]
    for row in rows:
        row["speedup"] = round(row["submissions"] / row["wall_s"] / base_rate, 2)


def grade_class(
    base: Path, work: Path, modules: list[str], students: int, jobs: int, *, jobs1: bool,
    dask: bool,
) -> list[dict]:  # fmt: skip
    """Grade copies of the class in ``base`` every way; return one row per run.

    With ``dask``, the last run grades on a local Dask cluster started just
    before it (not timed) and stopped right after it.
    """
    from course.batch.fastpath import fast_path_refusals

    fast_ok = [m for m in modules if not fast_path_refusals(base, m)]
    course = [sys.executable, "-c", "from course.cli import main; main()", "grade", "."]
    nbgrader = [sys.executable, "-m", "nbgrader", "autograde"]
    runs = {"serial nbgrader": ([[*nbgrader, m, "--create", "--force"] for m in modules], modules)}
    if jobs1 and jobs != 1:
        runs["course grade --jobs 1"] = ([[*course, "--jobs", "1", "--no-feedback"]], modules)
    runs[f"course grade --jobs {jobs}"] = (
        [[*course, "--jobs", str(jobs), "--no-feedback"]],
        modules,
    )
    if fast_ok:
        runs[f"course grade --jobs {jobs} --fast"] = (
            [[*course, *fast_ok, "--jobs", str(jobs), "--fast", "--no-feedback"]],
            fast_ok,
        )
    if dask:
        runs[DASK_RUN] = ([[*course, "--scheduler", "{scheduler}", "--no-feedback"]], modules)
    rows = []
    reference = None
    for name, (commands, graded_modules) in runs.items():
        folder = work / re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(base, folder)
        with contextlib.ExitStack() as stack:
            if name == DASK_RUN:
                print(f"  starting a local Dask cluster ({DASK_WORKERS} workers) …", flush=True)
                address = stack.enter_context(dask_cluster(work / "dask-logs"))
                commands = [[address if a == "{scheduler}" else a for a in c] for c in commands]
            print(f"  {name} …", flush=True)
            wall, peak = timed(commands, folder)
        grades, items = results(folder, graded_modules)
        if reference is None:
            reference = folder
            same = True
        else:
            ref_grades, ref_items = results(reference, graded_modules)
            same = grades.equals(ref_grades) and items.equals(ref_items)
        n = students * len(graded_modules)
        rows.append(
            {"run": name, "modules": graded_modules, "submissions": n, "wall_s": round(wall, 1),
             "per_min": round(60 * n / wall, 1), "peak_mib": round(peak), "identical": same}
        )  # fmt: skip
    _speedups(rows)
    return rows


def _table(rows: list[dict]) -> None:
    width = max(34, *(len(row["run"]) for row in rows))
    head = f"{'run':{width}} {'subm.':>6} {'wall s':>8} {'per min':>8} {'× serial':>9}"
    print(f"{head} {'peak MiB':>9}  same grades")
    for row in rows:
        print(
            f"{row['run']:{width}} {row['submissions']:>6} {row['wall_s']:>8} "
            f"{row['per_min']:>8} {row['speedup']:>9} {row['peak_mib']:>9}  "
            f"{'yes' if row['identical'] else 'NO'}"
        )


def _targets(rows: list[dict], spec: str, jobs: int) -> dict[str, dict]:
    """The class's targets: measured ratio, target and whether it is met."""
    by_run = {row["run"]: row for row in rows}
    targets = {}
    wanted = {
        "parallel": (f"course grade --jobs {jobs}", TARGET_PARALLEL),
        "fast": (f"course grade --jobs {jobs} --fast", TARGET_FAST.get(spec, TARGET_FAST_DEFAULT)),
    }
    for key, (run, target) in wanted.items():
        if run in by_run:
            measured = by_run[run]["speedup"]
            targets[key] = {"run": run, "speedup": measured, "target": target,
                            "met": measured >= target}  # fmt: skip
    return targets


def main(argv: list[str] | None = None) -> int:
    """Build each class, grade it every way, print the report; return the exit status."""
    from importlib.metadata import PackageNotFoundError, version

    from course.batch.pool import default_jobs

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--classes",
        default=DEFAULT_CLASSES,
        help="classes separated by ';', each STUDENTS:MODULES, MODULES a count (the first N) "
        f"or ids with commas (default {DEFAULT_CLASSES!r})",
    )
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="workers of --jobs N")
    parser.add_argument(
        "--jobs1", action="store_true", help="also time course grade --jobs 1 on every class"
    )
    parser.add_argument(
        "--dask",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time course grade --scheduler on a local 2-worker Dask cluster, last class only "
        "(default on)",
    )
    parser.add_argument("--seed", type=int, default=2016, help="seed of the simulated classes")
    parser.add_argument("--keep", type=Path, help="keep the course folders here")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument(
        "--broken",
        type=int,
        default=3,
        help="broken submissions in the first class's broken run (0: no broken run)",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a target is missed or grades differ"
    )
    args = parser.parse_args(argv)

    try:
        classes = _classes(args.classes)
    except ValueError as exc:
        parser.error(f"--classes: {exc}")
    planned = []
    for spec, students, modules_spec in classes:
        modules, count = _modules(modules_spec)
        if len(modules) < count:
            parser.error(f"{spec}: only {len(modules)} modules with keys are available")
        planned.append((spec, students, modules_spec, modules))
    if args.dask:
        import importlib.util

        if importlib.util.find_spec("distributed") is None:
            parser.error("--dask needs Dask's distributed package (or use --no-dask)")

    try:
        nbgrader_version = version("nbgrader")
    except PackageNotFoundError:
        nbgrader_version = "not installed"
    machine = {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "nbgrader": nbgrader_version,
    }
    print(
        f"Machine: {machine['platform']}, {machine['cpus']} CPU(s), Python {machine['python']}, "
        f"nbgrader {machine['nbgrader']}"
    )
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-grading-"))
    work.mkdir(parents=True, exist_ok=True)
    reports = []
    extra = None
    for index, (spec, students, modules_spec, modules) in enumerate(planned):
        label = re.sub(r"[^A-Za-z0-9]+", "-", spec).strip("-")
        class_work = work / label
        base = class_work / "class"
        if base.exists():
            shutil.rmtree(base)
        class_work.mkdir(parents=True, exist_ok=True)
        print(f"\nBuilding a class of {students} on {', '.join(modules)} in {class_work} …")
        modules = build_class(base, modules, students, args.seed)
        described = _describe(students, modules_spec, modules)
        last = index == len(planned) - 1
        rows = grade_class(
            base, class_work, modules, students, args.jobs, jobs1=args.jobs1,
            dask=args.dask and last,
        )  # fmt: skip
        targets = _targets(rows, spec, args.jobs)
        print(f"\nClass {spec}: {described} (seed {args.seed})")
        _table(rows)
        print()
        for key, what in (("parallel", f"--jobs {args.jobs}"), ("fast", "fast path")):
            if key in targets:
                t = targets[key]
                print(
                    f"{described}: {what} vs serial nbgrader: {t['speedup']}× "
                    f"(target ≥ {t['target']:g}×){'' if t['met'] else ' MISSED'}"
                )
        reports.append(
            {"spec": spec, "description": described, "students": students, "modules": modules,
             "rows": rows, "targets": targets}
        )  # fmt: skip
        if index == 0 and args.broken:
            print(f"\n  course grade --jobs {args.jobs} with {args.broken} broken submissions …")
            extra = broken_run(base, class_work, modules, args.jobs, args.broken)
            print(
                f"{described}, {extra['run']}: {extra['submissions']} submissions in "
                f"{extra['wall_s']} s, exit code {extra['exit_code']}, every student listed: "
                f"{'yes' if extra['all_listed'] else 'NO'}, "
                f"ungraded: {', '.join(extra['ungraded']) or 'none'}"
            )
            for student, how in extra["broken"].items():
                print(f"  {student}: {how}")
    if args.json:
        payload = {"machine": machine, "classes": reports, "broken": extra}
        args.json.write_text(json.dumps(payload, indent=1))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    missed = any(not t["met"] for r in reports for t in r["targets"].values())
    missed = missed or not all(row["identical"] for r in reports for row in r["rows"])
    missed = missed or (extra is not None and not extra["all_listed"])
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
