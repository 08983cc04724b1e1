"""Benchmark grading a class: plain serial nbgrader against `course grade`.

Run from the repository root with the course's Python::

    python benchmarks/bench_grading.py                       # 60 students, 3 modules
    python benchmarks/bench_grading.py --students 20 --modules 2
    python benchmarks/bench_grading.py --modules 00-orientation,01-close-reading
    python benchmarks/bench_grading.py --jobs 4 --json results.json
    python benchmarks/bench_grading.py --check               # exit 1 if a target is missed

It builds a course folder from the repository's lessons and keys, releases
it, submits a seeded simulated class (``course.simulate``) and copies the
folder once per way of grading, so each starts from the same submissions:

1. **serial nbgrader**: ``nbgrader autograde MODULE --create --force``, one
   process per module, one module after the other (nbgrader as documented);
2. ``course grade --jobs 1 --no-feedback``;
3. ``course grade --jobs N --no-feedback`` (N: ``--jobs``, default the cores);
4. ``course grade --jobs N --fast --no-feedback``, for the modules the fast
   path accepts;
5. with ``--broken K`` (default 3): ``course grade --jobs N --no-feedback`` on
   a copy where K students' submissions of the first module are broken (a
   notebook that is not JSON, one whose code kills the grading process, one
   that never stops), checking that the batch finishes and lists every student.

Each is one child process timed from outside (wall time) while a sampler adds
up the resident memory of it and all its descendants every 0.1 s (peak RSS).
Grades and per-item results of every run are compared with the serial run.

Targets, printed as ratios: ``--jobs N`` at least 1.7 times the throughput of
serial nbgrader, the fast path at least 10 times. This is not a test: the
numbers depend on the machine and on what else it runs. See
docs/benchmarks.md for measured numbers and how to read them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
TARGET_PARALLEL = 1.7
TARGET_FAST = 10.0


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


def main(argv: list[str] | None = None) -> int:
    """Build the class, grade it every way, print the report; return the exit status."""
    from course.batch.fastpath import fast_path_refusals
    from course.batch.pool import default_jobs

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=60, help="class size (default 60)")
    parser.add_argument(
        "--modules", default="3", help="how many modules (the first N), or ids with commas"
    )
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="workers for run 3")
    parser.add_argument("--seed", type=int, default=2016, help="seed of the simulated class")
    parser.add_argument("--keep", type=Path, help="keep the course folders here")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument(
        "--broken", type=int, default=3, help="broken submissions in run 5 (0: no run 5)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    modules, count = _modules(args.modules)
    if len(modules) < count:
        parser.error(f"only {len(modules)} modules with keys are available")
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-grading-"))
    work.mkdir(parents=True, exist_ok=True)
    base = work / "class"
    if base.exists():
        shutil.rmtree(base)
    print(f"Building a class of {args.students} on {', '.join(modules)} in {work} …")
    modules = build_class(base, modules, args.students, args.seed)
    fast_ok = [m for m in modules if not fast_path_refusals(base, m)]
    course = [sys.executable, "-c", "from course.cli import main; main()", "grade"]
    runs = {
        "serial nbgrader": (
            [
                [sys.executable, "-m", "nbgrader", "autograde", m, "--create", "--force"]
                for m in modules
            ],
            modules,
        ),
        "course grade --jobs 1": ([[*course, ".", "--jobs", "1", "--no-feedback"]], modules),
        f"course grade --jobs {args.jobs}": (
            [[*course, ".", "--jobs", str(args.jobs), "--no-feedback"]],
            modules,
        ),
    }
    if fast_ok:
        runs[f"course grade --jobs {args.jobs} --fast"] = (
            [[*course, ".", *fast_ok, "--jobs", str(args.jobs), "--fast", "--no-feedback"]],
            fast_ok,
        )
    rows = []
    reference = None
    for name, (commands, graded_modules) in runs.items():
        folder = work / name.replace(" ", "_").replace("-", "")
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(base, folder)
        print(f"  {name} …", flush=True)
        wall, peak = timed(commands, folder)
        grades, items = results(folder, graded_modules)
        if reference is None:
            reference = (folder, grades, items)
            same = True
        else:
            ref_grades, ref_items = results(reference[0], graded_modules)
            same = grades.equals(ref_grades) and items.equals(ref_items)
        n = args.students * len(graded_modules)
        rows.append(
            {"run": name, "modules": graded_modules, "submissions": n, "wall_s": round(wall, 1),
             "per_min": round(60 * n / wall, 1), "peak_mib": round(peak), "identical": same}
        )  # fmt: skip
    serial = rows[0]
    for row in rows:
        base_rate = serial["submissions"] / serial["wall_s"]
        row["speedup"] = round(row["submissions"] / row["wall_s"] / base_rate, 2)
    print()
    python = platform.python_version()
    print(f"Machine: {platform.platform()}, {os.cpu_count()} CPU(s), Python {python}")
    print(f"Class: {args.students} students × {len(modules)} modules (seed {args.seed})")
    head = f"{'run':34} {'subm.':>6} {'wall s':>8} {'per min':>8} {'× serial':>9}"
    print(f"{head} {'peak MiB':>9}  same grades")
    for row in rows:
        print(
            f"{row['run']:34} {row['submissions']:>6} {row['wall_s']:>8} {row['per_min']:>8} "
            f"{row['speedup']:>9} {row['peak_mib']:>9}  {'yes' if row['identical'] else 'NO'}"
        )
    parallel = rows[2]["speedup"]
    fast = rows[3]["speedup"] if len(rows) > 3 else None
    print()
    print(f"--jobs {args.jobs} vs serial nbgrader: {parallel}× (target ≥ {TARGET_PARALLEL}×)")
    if fast is not None:
        print(f"fast path vs serial nbgrader: {fast}× (target ≥ {TARGET_FAST}×)")
    extra = None
    if args.broken:
        print(f"  course grade --jobs {args.jobs} with {args.broken} broken submissions …")
        extra = broken_run(base, work, modules, args.jobs, args.broken)
        print(
            f"{extra['run']}: {extra['submissions']} submissions in {extra['wall_s']} s, "
            f"exit code {extra['exit_code']}, every student listed: "
            f"{'yes' if extra['all_listed'] else 'NO'}, ungraded: {', '.join(extra['ungraded'])}"
        )
        for student, how in extra["broken"].items():
            print(f"  {student}: {how}")
    if args.json:
        payload = {"students": args.students, "rows": rows, "broken": extra}
        args.json.write_text(json.dumps(payload, indent=1))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    missed = parallel < TARGET_PARALLEL or (fast is not None and fast < TARGET_FAST)
    missed = missed or not all(r["identical"] for r in rows)
    missed = missed or (extra is not None and not extra["all_listed"])
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
