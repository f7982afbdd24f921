"""Benchmark the job runner: validate vit_t packages in 1 process, with --jobs 2, and on a 2-worker Dask cluster.

    python scripts/bench_scale.py [--workdir DIR] [--full] [--packages 24] [--baseline 8] [--distinct 6] [--repeat 1]

Builds ``--distinct`` packages of random-initialised vit_t weights (seeds 0.., samzoo's builder) and
copies them round-robin up to ``--packages`` (the validation work per copy is the same), starts a
`dask scheduler` and two single-threaded `dask worker` processes on 127.0.0.1 (free ports; with samzoo's
local-cluster settings as environment variables, as docs/scaling.md recommends for CPU workers: no
profiler, slower monitors), then
times, in one run, each as a fresh `samzoo validate` process:

1. `samzoo validate --quick DIR` (one process; torch uses every core);
2. `samzoo validate --quick DIR --jobs 2` (a local Dask cluster of 2 worker processes, 1 torch thread each,
   from 2 x JOBS_PER_WORKER packages; fewer run in one process, see samzoo.plumbing.jobs);
3. the same with `SAMZOO_JOBS_PER_WORKER=1`: the local cluster at any package count (where it starts to pay off);
4. `samzoo validate --quick DIR --scheduler tcp://127.0.0.1:PORT` (the running cluster: 2 workers, 1 thread each).

Each mode runs on all ``--packages`` packages and on the first ``--baseline`` of them (best of
``--repeat`` runs each, modes interleaved). Two figures per mode:

* wall time for all packages (start-up included: process start, imports, cluster start);
* **throughput** in steady state: the extra packages over the extra time,
  ``(packages - baseline) / (T(packages) - T(baseline))``: what a long run (the zoo re-testing
  every package, a lab's CI over dozens) gets per minute once the processes have started.

Prints both with ratios to (1) (target for --quick: throughput >= 1.3x with 2 workers), whether
the three reports are identical apart from timings, and the per-package seconds of (1).
`--full` validates without --quick (one encoder pass per package).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _build_packages(folder: Path, count: int, distinct: int) -> None:
    """``distinct`` packages of different random weights, copied round-robin up to ``count`` files."""
    from samzoo.builder import build_package
    from samzoo.plumbing.sam_models import save_random_checkpoint

    folder.mkdir(parents=True)
    built = []
    for seed in range(min(distinct, count)):
        ckpt = folder.parent / f"vit_t_seed{seed}.pt"
        save_random_checkpoint(ckpt, "vit_t", seed=seed)
        built.append(build_package("vit_t_lm", ckpt, output=folder / f"vit_t_{seed}.zip").path)
    for i in range(len(built), count):
        shutil.copyfile(built[i % len(built)], folder / f"vit_t_{i}.zip")


def _start_cluster(work: Path) -> tuple[str, list[subprocess.Popen]]:
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    from samzoo.plumbing.jobs.cluster import LOCAL_CLUSTER_SETTINGS

    # the local cluster's settings, as the environment variables docs/scaling.md recommends for CPU workers
    env = {**os.environ, **{"DASK_" + key.upper().replace(".", "__").replace("-", "_"): str(value)
                            for key, value in LOCAL_CLUSTER_SETTINGS.items()}}
    dask = [sys.executable, "-m", "dask"]
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              env=env, stdout=subprocess.DEVNULL, stderr=(work / "scheduler.log").open("wb"))]
    time.sleep(2)
    worker = [*dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard"]
    procs += [subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=(work / f"worker{i}.log").open("wb")) for i in range(2)]
    with Client(address, timeout=60, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=180)
    return address, procs


def _validate(folder: Path, report: Path, extra: list[str], quick: bool) -> float:
    """Seconds of one `samzoo validate` process; ``extra``: its options, then ``NAME=VALUE`` environment settings."""
    env = {**os.environ, **dict(e.split("=", 1) for e in extra if "=" in e and not e.startswith("-"))}
    options = [e for e in extra if e.startswith("-") or "=" not in e]
    cmd = [sys.executable, "-m", "samzoo", "validate", str(folder), "--report", str(report), *(["--quick"] if quick else []), *options]
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}{r.stdout[-2000:]}")
    return seconds


def _comparable(path: Path) -> list[dict]:
    data = json.loads(path.read_text())["packages"]
    for p in data:
        p.pop("seconds")
        for c in p["checks"]:
            c.pop("seconds")
    return data


def _first(folder: Path, count: int) -> Path:
    """A folder holding (hard links to) the first ``count`` packages of ``folder``."""
    part = folder.with_name(f"{folder.name}_first{count}")
    part.mkdir()
    for src in sorted(folder.glob("*.zip"))[:count]:
        os.link(src, part / src.name)
    return part


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="keep everything here (default: a temporary folder)")
    parser.add_argument("--packages", type=int, default=24, help="number of vit_t packages (default 24)")
    parser.add_argument("--baseline", type=int, default=8, help="the shorter run, for the steady-state throughput (default 8)")
    parser.add_argument("--distinct", type=int, default=6, help="build this many different packages, copy them up to --packages (default 6)")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs per mode and size (default 1)")
    parser.add_argument("--full", action="store_true", help="full validation (an encoder pass per package) instead of --quick")
    args = parser.parse_args()
    if not 0 < args.baseline < args.packages:
        parser.error("--baseline must be between 0 and --packages")
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")

    work = Path(args.workdir or tempfile.mkdtemp(prefix="samzoo-bench-scale-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ["SAMZOO_CACHE_DIR"] = str(work / "cache")
    folder = work / "packages"
    _build_packages(folder, args.packages, max(1, args.distinct))
    folders = {args.baseline: _first(folder, args.baseline), args.packages: folder}
    address, procs = _start_cluster(work)
    quick = not args.full
    # --jobs 2 as users get it (no workers below 2 x JOBS_PER_WORKER packages), and with a worker for any number
    modes = {"one": [], "jobs2": ["--jobs", "2"], "jobs2_always": ["--jobs", "2", "SAMZOO_JOBS_PER_WORKER=1"],
             "cluster": ["--scheduler", address]}
    runs: dict[tuple[str, int], list[float]] = {(m, n): [] for m in modes for n in folders}
    load = os.getloadavg()
    try:
        for _ in range(args.repeat):
            for m, extra in modes.items():
                for n, where in folders.items():
                    runs[m, n].append(_validate(where, work / f"{m}_{n}.json", extra, quick))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
    times = {key: min(seconds) for key, seconds in runs.items()}
    n, k = args.packages, args.baseline
    reports = [_comparable(work / f"{m}_{n}.json") for m in modes]
    same = all(r == reports[0] for r in reports)
    per_package = [p["seconds"] for p in json.loads((work / f"one_{n}.json").read_text())["packages"]]
    # None where the longer run was not slower (cold workers in the shorter one: too few packages to tell)
    steady = {m: (n - k) / extra * 60 if (extra := times[m, n] - times[m, k]) > 0 else None for m in modes}
    labels = {"one": "1 process", "jobs2": "--jobs 2", "jobs2_always": "--jobs 2, workers at any count",
              "cluster": "--scheduler, 2 running workers"}
    print(f"samzoo validate{' --quick' if quick else ''}, {n} vit_t packages ({min(args.distinct, n)} distinct), "
          f"{os.cpu_count()} cores, best of {args.repeat}")
    print(f"  load average before / after: {load[0]:.1f} / {os.getloadavg()[0]:.1f}")
    print(f"  {'':32} {f'{k} pkgs':>8} {f'{n} pkgs':>8}   wall ratio   steady throughput      ratio")
    for m in modes:
        rate = "   n/a (not slower with more packages)" if steady[m] is None else f"{steady[m]:6.1f} packages/min"
        ratio = f"{steady[m] / steady['one']:6.2f}x" if steady[m] is not None and steady["one"] is not None else "   n/a"
        print(f"  {labels[m]:32} {times[m, k]:7.1f}s {times[m, n]:7.1f}s   {times['one', n] / times[m, n]:9.2f}x   {rate}  {ratio}")
    if args.repeat > 1:
        for m in modes:
            print(f"  {labels[m]:32} every run: {k} pkgs {', '.join(f'{t:.1f}' for t in runs[m, k])} s; "
                  f"{n} pkgs {', '.join(f'{t:.1f}' for t in runs[m, n])} s")
    print(f"  reports identical apart from timings: {same}")
    print(f"  per package in 1 process: {', '.join(f'{s:.1f}' for s in per_package)} s (mean {sum(per_package) / n:.1f} s)")
    print(f"  workdir {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
