"""Estimate grading at scale: a large simulated class on the fast path, a kernel sample, a sizing.

Run from the repository root with the course's Python::

    python benchmarks/bench_scale.py                       # 5,000 students, 40 with kernels
    python benchmarks/bench_scale.py --students 500 --kernel-sample 20
    python benchmarks/bench_scale.py --target 50000 --hours 1 --json scale.json

It builds two course folders from the repository's lessons and keys for one
module (``--module``, default 01-close-reading), releases them and submits a
seeded simulated class (``course.simulate``):

1. ``--students`` students (default 5,000), graded by ``course grade --jobs N
   --fast --no-feedback``: every submission is scored without a kernel, so
   this measures what the fast path sustains on a whole large class, fixed
   start-up costs included;
2. ``--kernel-sample`` students (default 40), graded by ``course grade --jobs
   N --no-feedback`` with kernels (the course's sandbox setting, bubblewrap if
   installed): the kernel cost per submission.

Each run is one child process timed from outside, its peak memory (the
process and all its descendants) sampled every 0.1 s. Every student must be
in the gradebook afterwards.

It then prints, per worker (one worker per core): submissions per minute with
and without a kernel, and the sizing for ``--target`` submissions with
kernels in ``--hours`` hours: worker-seconds needed, and cores (= Dask worker
threads) needed at the measured rate, plus ``--headroom`` (default 25 %) for
retries, stragglers and uneven modules, which is an assumption, not a
measurement. A Dask worker runs one grading process per thread; memory per
worker is the kernel run's peak divided by its workers.

This is not a test: the numbers depend on the machine and on what else it
runs. docs/benchmarks.md has measured numbers and how they were made.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench_grading import build_class, timed  # beside this script


def _count_graded(folder: Path, module: str) -> int:
    from course.export import collect_grades

    grades = collect_grades(folder, [module])
    return int(grades["graded"].sum()) if "graded" in grades else len(grades)


def _grade(folder: Path, jobs: int, *extra: str) -> tuple[float, float]:
    cmd = [sys.executable, "-c", "from course.cli import main; main()", "grade", "."]
    return timed([[*cmd, "--jobs", str(jobs), "--no-feedback", *extra]], folder)


def main(argv: list[str] | None = None) -> int:
    """Build both classes, grade them, print the estimate; return the exit status."""
    from course.batch.pool import default_jobs

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=5000, help="fast-path class size")
    parser.add_argument(
        "--kernel-sample", type=int, default=40, help="students graded with kernels"
    )
    parser.add_argument("--module", default="01-close-reading", help="the module graded")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="workers (cores)")
    parser.add_argument("--seed", type=int, default=2016, help="seed of the simulated classes")
    parser.add_argument("--target", type=int, default=50_000, help="submissions to size for")
    parser.add_argument("--hours", type=float, default=1.0, help="time to grade them in")
    parser.add_argument(
        "--headroom", type=float, default=0.25, help="extra capacity assumed (0.25 = 25 %%)"
    )
    parser.add_argument("--keep", type=Path, help="keep the course folders here")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.students < 2 or args.kernel_sample < 2:
        parser.error("a simulated class needs at least 2 students")

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"Machine: {platform.platform()}, {args.jobs} worker(s), Python {platform.python_version()}"
    )
    rows = {}
    try:
        for name, students, extra in (
            ("fast path", args.students, ("--fast",)),
            ("with kernels", args.kernel_sample, ()),
        ):
            folder = work / name.replace(" ", "-")
            shutil.rmtree(folder, ignore_errors=True)
            started = time.perf_counter()
            print(f"Building {students} students × {args.module} in {folder} …", flush=True)
            build_class(folder, [args.module], students, args.seed)
            print(f"  built in {time.perf_counter() - started:.0f} s; grading {name} …", flush=True)
            wall, peak = _grade(folder, args.jobs, *extra)
            graded = _count_graded(folder, args.module)
            per_worker = students / wall / args.jobs * 60
            rows[name] = {
                "students": students,
                "wall_s": round(wall, 2),
                "peak_mib": round(peak),
                "graded": graded,
                "per_worker_per_min": round(per_worker, 1),
                "worker_s_per_submission": round(wall * args.jobs / students, 4),
            }
            print(
                f"  {wall:.1f} s, {graded}/{students} graded, {per_worker:.1f} submissions/min "
                f"per worker, peak {peak:.0f} MiB",
                flush=True,
            )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    kernel = rows["with kernels"]
    seconds = kernel["worker_s_per_submission"] * args.target
    needed = seconds / (args.hours * 3600)
    cores = math.ceil(needed * (1 + args.headroom))
    mib = kernel["peak_mib"] / args.jobs
    sizing = {
        "target": args.target,
        "hours": args.hours,
        "worker_seconds": round(seconds),
        "cores_at_measured_rate": round(needed, 1),
        "cores_with_headroom": cores,
        "headroom": args.headroom,
        "mib_per_worker": round(mib),
        "fast_path_hours_one_worker": round(
            rows["fast path"]["worker_s_per_submission"] * args.target / 3600, 2
        ),
    }
    print()
    print("| run | students | wall time | per worker | worker-s / submission | peak RSS |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, row in rows.items():
        print(
            f"| {name} | {row['students']:,} | {row['wall_s']:.1f} s | "
            f"{row['per_worker_per_min']:.1f} / min | {row['worker_s_per_submission']:.3f} | "
            f"{row['peak_mib']} MiB |"
        )
    print()
    print(
        f"{args.target:,} submissions with kernels: {seconds / 3600:.1f} worker-hours; in "
        f"{args.hours:g} h, {needed:.1f} cores at the measured rate, {cores} with "
        f"{args.headroom:.0%} headroom (about {mib:.0f} MiB per worker). On the fast path, "
        f"one worker would take {sizing['fast_path_hours_one_worker']:.2f} h."
    )
    ok = all(row["graded"] == row["students"] for row in rows.values())
    if not ok:
        print("Not every student was graded: see the runs above.")
    if args.json:
        args.json.write_text(json.dumps({"runs": rows, "sizing": sizing}, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
