"""Benchmark what a student feels: import time, first widget on screen, save latency.

Run from the repository root with the course's Python::

    python benchmarks/bench_answers.py            # 1000 saves
    python benchmarks/bench_answers.py --saves 200 --repeat 3
    python benchmarks/bench_answers.py --check    # exit 1 if a target is missed

It prints one report:

* ``import course``: wall time of ``python -c "import course"`` minus that of
  ``python -c "pass"`` (medians over ``--repeat`` fresh processes);
* first widget: in a fresh process, ``import course.items``, ``start(...)``, build a
  4-option ``SingleChoice`` and call its ``_repr_mimebundle_()``; the time from
  the script's first line to after that call, plus the interpreter's own
  start-up (measured separately), is the time from launch to first widget;
* save latency: ``AnswerBook.record`` N times in a temporary folder, alternating
  among 10 item ids, and N saves through a widget (setting ``item.value``),
  as p50 / p95 / max.

This is not a test: numbers depend on the machine and its disk. See
docs/benchmarks.md for the numbers measured and how to read them.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

#: Targets, in seconds.
TARGET_FIRST_WIDGET = 1.0
TARGET_SAVE_P95 = 0.050

FIRST_WIDGET_CODE = r"""
import time
_t0 = time.perf_counter()
import json, shutil, sys, tempfile
folder = tempfile.mkdtemp(prefix="bench-widget-")
import course.items
course.items.start("bench", folder)
item = course.items.SingleChoice(
    id="bench-first",
    prompt="Which sentence states the essay's thesis?",
    options={"a": "The first", "b": "The second", "c": "The third", "d": "The fourth"},
    points=1,
)
bundle = item._repr_mimebundle_()
_t1 = time.perf_counter()
shutil.rmtree(folder, ignore_errors=True)
print(json.dumps({"elapsed": _t1 - _t0, "mimetypes": sorted(bundle or {})}))
"""


def percentile(values: Sequence[float], q: float) -> float:
    """Return the ``q``-th percentile (0-100) by the nearest-rank method."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(len * q / 100), at least 1
    return ordered[int(rank) - 1]


def _wall(args: list[str]) -> tuple[float, str]:
    """Run ``args`` and return its wall time and standard output; fail on an error."""
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"]
        raise RuntimeError(f"the fresh process failed: {lines[-1]}")
    return elapsed, proc.stdout


def _median_wall(code: str, repeat: int) -> float:
    _wall([sys.executable, "-c", code])  # warm-up: bytecode caches, disk cache
    return statistics.median(_wall([sys.executable, "-c", code])[0] for _ in range(repeat))


def measure_import(repeat: int) -> dict[str, float]:
    """Return the interpreter start-up and the extra wall time of ``import course``."""
    startup = _median_wall("pass", repeat)
    with_import = _median_wall("import course", repeat)
    return {"startup": startup, "import": with_import - startup}


def measure_first_widget(repeat: int, startup: float) -> dict[str, object]:
    """Return the time from launch to the first rendered widget, in a fresh process."""
    args = [sys.executable, "-c", FIRST_WIDGET_CODE]
    _wall(args)  # warm-up
    inside, outside, mimetypes = [], [], []
    for _ in range(repeat):
        wall, out = _wall(args)
        report = json.loads(out.strip().splitlines()[-1])
        inside.append(report["elapsed"])
        outside.append(wall)
        mimetypes = report["mimetypes"]
    in_script = statistics.median(inside)
    return {
        "in_script": in_script,
        "first_widget": startup + in_script,
        "process_wall": statistics.median(outside),
        "mimetypes": mimetypes,
    }


def _latencies(n: int, save: Callable[[int], None]) -> list[float]:
    times = []
    for i in range(n):
        start = time.perf_counter()
        save(i)
        times.append(time.perf_counter() - start)
    return times


def measure_book_saves(n: int) -> dict[str, float]:
    """Return save latencies of ``AnswerBook.record`` over ``n`` saves among 10 items."""
    from course.answers import AnswerBook

    with tempfile.TemporaryDirectory(prefix="bench-book-") as folder:
        book = AnswerBook("bench", folder)
        ids = [f"bench-item-{k}" for k in range(10)]
        times = _latencies(
            n, lambda i: book.record(ids[i % 10], ["a", "c"][i // 10 % 2], kind="single_choice")
        )
        size = (Path(folder) / ".bench.answers.json").stat().st_size
    return _summary(times) | {"file_bytes": float(size)}


def measure_widget_saves(n: int) -> dict[str, float]:
    """Return latencies of setting a SingleChoice's ``value`` ``n`` times (each a save)."""
    import course.items
    from course.answers import AnswerBook

    with tempfile.TemporaryDirectory(prefix="bench-widget-") as folder:
        course.items.start("bench", folder)
        item = course.items.SingleChoice(
            id="bench-save",
            prompt="Which sentence states the essay's thesis?",
            options={"a": "The first", "b": "The second", "c": "The third", "d": "The fourth"},
            points=1,
        )

        def save(i: int) -> None:
            item.value = "ab"[i % 2]

        times = _latencies(n, save)
        record = AnswerBook("bench", folder).get("bench-save") or {}
    return _summary(times) | {"saved_revisions": float(record.get("revision", 0))}


def _summary(times: list[float]) -> dict[str, float]:
    return {
        "n": float(len(times)),
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "max": max(times),
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def _verdict(measured: float, target: float) -> tuple[str, bool]:
    ratio = measured / target
    met = measured < target
    return f"{ratio:5.2f} × target ({'met' if met else 'NOT met'})", met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=1000, help="saves to time (default 1000)")
    parser.add_argument(
        "--repeat", type=int, default=5, help="fresh processes per start-up timing (default 5)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    if args.saves < 1 or args.repeat < 1:
        parser.error("--saves and --repeat must be at least 1")

    import course

    met_all = True
    print("Claims & Evidence benchmark")
    print(f"  course {course.__version__}, Python {platform.python_version()}, {platform.system()}")
    print(f"  {args.repeat} fresh processes per start-up timing (medians), {args.saves} saves")
    print()

    imp = measure_import(args.repeat)
    print(f"interpreter start-up          {_ms(imp['startup'])}")
    print(f"import course                 {_ms(imp['import'])}")

    try:
        fw = measure_first_widget(args.repeat, imp["startup"])
    except RuntimeError as exc:
        print(f"first widget                  unavailable: {exc}")
        met_all = False
    else:
        text, met = _verdict(fw["first_widget"], TARGET_FIRST_WIDGET)
        met_all &= met
        print(f"first widget (launch→render)  {_ms(fw['first_widget'])}   {text}, target < 1 s")
        print(f"  of which in the script      {_ms(fw['in_script'])}")
        print(f"  whole process (with exit)   {_ms(fw['process_wall'])}")
        print(f"  mimetypes rendered          {', '.join(fw['mimetypes']) or 'none'}")

    book = measure_book_saves(args.saves)
    text, met = _verdict(book["p95"], TARGET_SAVE_P95)
    met_all &= met
    print(f"AnswerBook.record, {int(book['n'])} saves over 10 items")
    print(f"  p50                         {_ms(book['p50'])}")
    print(f"  p95                         {_ms(book['p95'])}   {text}, target < 50 ms")
    print(f"  max                         {_ms(book['max'])}")
    print(f"  final file size             {int(book['file_bytes']):>8,} bytes")

    try:
        widget = measure_widget_saves(args.saves)
    except Exception as exc:  # the widgets may be missing or broken; report, don't crash
        print(f"widget saves                  unavailable: {type(exc).__name__}: {exc}")
        met_all = False
    else:
        text, met = _verdict(widget["p95"], TARGET_SAVE_P95)
        met_all &= met
        print(f"SingleChoice.value, {int(widget['n'])} changes")
        print(f"  p50                         {_ms(widget['p50'])}")
        print(f"  p95                         {_ms(widget['p95'])}   {text}, target < 50 ms")
        print(f"  max                         {_ms(widget['max'])}")
        print(
            f"  revisions saved             {int(widget['saved_revisions']):>8} "
            f"(of {int(widget['n'])} changes)"
        )

    print()
    print("all targets met" if met_all else "some targets NOT met (or not measured)")
    return 1 if args.check and not met_all else 0


if __name__ == "__main__":
    sys.exit(main())
