"""Benchmark the job runner: validate 6 vit_t packages in 1 process, with --jobs 2, and on a 2-worker Dask cluster.

    python scripts/bench_scale.py [--workdir DIR] [--full] [--packages 6]

Builds 6 packages of random-initialised vit_t weights (seeds 0..5, samzoo's builder; `--distinct K`
builds K and copies them up to 6: the validation work per copy is the same), starts a
`dask scheduler` and two single-threaded `dask worker` processes on 127.0.0.1 (free ports), then
times, in one run, each as a fresh `samzoo validate` process over the same folder:

1. `samzoo validate --quick DIR` (one process; torch uses every core);
2. `samzoo validate --quick DIR --jobs 2` (a local Dask cluster of 2 worker processes, 1 torch thread each);
3. `samzoo validate --quick DIR --scheduler tcp://127.0.0.1:PORT` (the running cluster: 2 workers, 1 thread each).

Prints wall times, throughput ratios to (1) (target for --quick: >= 1.3x with 2 workers), whether
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
    from samzoo.models import save_random_checkpoint

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
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
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
    cmd = [sys.executable, "-m", "samzoo", "validate", str(folder), "--report", str(report), *(["--quick"] if quick else []), *extra]
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="keep everything here (default: a temporary folder)")
    parser.add_argument("--packages", type=int, default=6, help="number of vit_t packages (default 6)")
    parser.add_argument("--distinct", type=int, default=6, help="build this many different packages, copy them up to --packages (default 6)")
    parser.add_argument("--full", action="store_true", help="full validation (an encoder pass per package) instead of --quick")
    args = parser.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="samzoo-bench-scale-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ["SAMZOO_CACHE_DIR"] = str(work / "cache")
    folder = work / "packages"
    _build_packages(folder, args.packages, max(1, args.distinct))
    address, procs = _start_cluster(work)
    quick = not args.full
    load = os.getloadavg()
    try:
        t1 = _validate(folder, work / "one.json", [], quick)
        t2 = _validate(folder, work / "jobs2.json", ["--jobs", "2"], quick)
        t3 = _validate(folder, work / "cluster.json", ["--scheduler", address], quick)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
    same = _comparable(work / "one.json") == _comparable(work / "jobs2.json") == _comparable(work / "cluster.json")
    per_package = [p["seconds"] for p in json.loads((work / "one.json").read_text())["packages"]]
    n = args.packages
    print(f"samzoo validate{' --quick' if quick else ''}, {n} vit_t packages ({min(args.distinct, n)} distinct), {os.cpu_count()} cores, one run")
    print(f"  load average before / after: {load[0]:.1f} / {os.getloadavg()[0]:.1f}")
    print(f"  1 process                        {t1:7.1f} s   {n / t1 * 60:5.1f} packages/min")
    print(f"  --jobs 2 (local Dask cluster)    {t2:7.1f} s   {n / t2 * 60:5.1f} packages/min   throughput {t1 / t2:.2f}x of 1 process")
    print(f"  --scheduler, 2 running workers   {t3:7.1f} s   {n / t3 * 60:5.1f} packages/min   throughput {t1 / t3:.2f}x of 1 process")
    print(f"  reports identical apart from timings: {same}")
    print(f"  per package in 1 process: {', '.join(f'{s:.1f}' for s in per_package)} s (mean {sum(per_package) / n:.1f} s)")
    print(f"  workdir {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
