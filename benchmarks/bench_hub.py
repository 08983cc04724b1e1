"""Measure what one student's server costs on the local hub: memory and CPU per module.

Run as root, on a machine where ``course hub setup`` has run, from the
repository root with the course's Python::

    python benchmarks/bench_hub.py                 # every module
    python benchmarks/bench_hub.py --modules 03 05 # some modules

It starts the local hub (:func:`course.hub.start`) on a free port, logs in
as the first demo student through the login form, spawns their server (the
real ``jupyterhub-singleuser`` of the shared environment, as their Linux
user) and measures:

* the idle server: the resident memory (RSS) of the student's server
  process right after it is ready;
* for each module: the instructor releases it (``course release``), the
  released notebook is copied into the student's home, and the student runs
  it top to bottom in a kernel of the same environment (``jupyter nbconvert
  --execute``, as the student). While it runs, the student's server and
  kernel processes are sampled every 0.1 s: the peak of their summed RSS,
  and the CPU seconds (user + system) the kernel used. The nbconvert process
  that drives the kernel is left out: in a real session the browser does
  that part.

Nothing here is a test: numbers depend on the machine. docs/deploy.md
("Sizing") gives the figures of one run and how to read them.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "hub"))

from hubclient import login  # noqa: E402

from course.hub import HubLayout, is_set_up, run_as, start  # noqa: E402

MIB = 1024 * 1024


@dataclass
class ModuleCost:
    """What running one module cost the student's server and kernel."""

    module: str
    seconds: float
    peak_rss_mib: float
    kernel_cpu_s: float
    ok: bool


def _user_procs(user: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["username", "cmdline"]):
        try:
            if proc.info["username"] == user:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _role(proc: psutil.Process) -> str:
    try:
        cmd = " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return ""
    if "ipykernel" in cmd:
        return "kernel"
    if "jupyterhub-singleuser" in cmd:
        return "server"
    return ""


def _rss(procs: list[psutil.Process]) -> int:
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


class _Sampler(threading.Thread):
    """Sample the student's server and kernel processes until stopped."""

    def __init__(self, user: str) -> None:
        super().__init__(daemon=True)
        self.user = user
        self.peak = 0
        self.kernel_cpu: dict[int, float] = {}
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            procs = [p for p in _user_procs(self.user) if _role(p)]
            self.peak = max(self.peak, _rss(procs))
            for proc in procs:
                if _role(proc) != "kernel":
                    continue
                try:
                    times = proc.cpu_times()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                self.kernel_cpu[proc.pid] = times.user + times.system
            self._done.wait(0.1)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _modules(layout: HubLayout, wanted: list[str]) -> list[str]:
    source = layout.course_dir / "source"
    names = sorted(p.name for p in source.iterdir() if p.is_dir())
    if not wanted:
        return names
    return [n for n in names if any(n == w or n.startswith(f"{w}-") for w in wanted)]


def _run_module(layout: HubLayout, student: str, module: str) -> ModuleCost:
    instructor = layout.instructor
    run_as(layout, instructor, ["course", "release", str(layout.course_dir), module])
    release = layout.course_dir / "release" / module
    work = layout.home(student) / "bench" / module
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(release, work)
    uid = layout.home(student).stat().st_uid
    gid = layout.home(student).stat().st_gid
    for path in [work.parent, work, *work.rglob("*")]:
        os.chown(path, uid, gid)
    notebook = work / f"{module}.ipynb"
    sampler = _Sampler(student)
    sampler.start()
    started = time.perf_counter()
    proc = run_as(
        layout,
        student,
        ["jupyter", "nbconvert", "--execute", "--to", "notebook", "--inplace",
         "--ExecutePreprocessor.timeout=600", str(notebook)],
        check=False,
        timeout=1200,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    sampler.stop()
    return ModuleCost(
        module=module,
        seconds=seconds,
        peak_rss_mib=sampler.peak / MIB,
        kernel_cpu_s=sum(sampler.kernel_cpu.values()),
        ok=proc.returncode == 0,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", nargs="*", default=[], help="module ids or numbers")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("Run as root: the hub starts servers as its demo users.", file=sys.stderr)
        return 2
    layout = HubLayout()
    if not is_set_up(layout):
        print("The local hub is not set up: run `course hub setup` first.", file=sys.stderr)
        return 2
    student = layout.students[0]
    hub = start(layout)
    try:
        session = login(hub.url, student, layout.passwords()[student])
        session.spawn()
        time.sleep(2)  # let the fresh server settle before the idle reading
        server = [p for p in _user_procs(student) if _role(p) == "server"]
        idle = _rss(server) / MIB
        costs = [_run_module(layout, student, m) for m in _modules(layout, args.modules)]
        session.stop_server()
    finally:
        hub.stop()
        shutil.rmtree(layout.home(student) / "bench", ignore_errors=True)
    memory = psutil.virtual_memory().total / 2**30
    print(f"Machine: {platform.platform()}, {psutil.cpu_count()} CPUs, {memory:.1f} GiB; "
          f"Python {platform.python_version()}")  # fmt: skip
    print(f"Idle server (jupyterhub-singleuser) RSS: {idle:.0f} MiB")
    print(f"{'module':<28} {'wall s':>7} {'peak RSS MiB':>13} {'kernel CPU s':>13}  ran")
    for cost in costs:
        print(f"{cost.module:<28} {cost.seconds:7.1f} {cost.peak_rss_mib:13.0f} "
              f"{cost.kernel_cpu_s:13.1f}  {'yes' if cost.ok else 'NO'}")  # fmt: skip
    if costs:
        heaviest = max(costs, key=lambda c: c.peak_rss_mib)
        print(f"Heaviest module by memory: {heaviest.module} ({heaviest.peak_rss_mib:.0f} MiB, "
              f"server and kernel together)")  # fmt: skip
    return 0 if all(c.ok for c in costs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
