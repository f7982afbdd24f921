"""Benchmark `samzoo build --all`: three vit_t models, one by one vs --jobs 2, and a re-run with nothing changed.

    python scripts/bench_pipeline.py [--workdir DIR] [--validate/--no-validate]

Makes three random-initialised vit_t checkpoints, registers them in a temporary user
catalog, then times (each a fresh `samzoo build --all` process, same machine, same run):

1. `--jobs 1` into an empty folder;
2. `--jobs 2` into another empty folder;
3. `--jobs 2` again into the second folder (nothing changed: every model is skipped).

Prints the wall times and the ratios jobs2/jobs1 (target < 1) and rerun/first (target < 0.10).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODELS = ("vit_t_bench_a", "vit_t_bench_b", "vit_t_bench_c")


def _run(args: list[str], env: dict[str, str]) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "samzoo", *args, "--json"], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"samzoo {' '.join(args)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return seconds, json.loads(r.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="keep everything here (default: a temporary folder)")
    parser.add_argument("--no-validate", dest="validate", action="store_false", help="build only")
    args = parser.parse_args()

    from samzoo.plumbing.hashing import file_hash
    from samzoo.plumbing.sam_models import save_random_checkpoint
    from samzoo.catalog.writer import add_model

    work = Path(args.workdir or tempfile.mkdtemp(prefix="samzoo-bench-pipeline-"))
    shutil.rmtree(work, ignore_errors=True)
    ckpts = work / "checkpoints"
    ckpts.mkdir(parents=True)
    env = {**os.environ, "SAMZOO_CATALOG": str(work / "catalog"), "SAMZOO_CACHE_DIR": str(work / "cache")}
    os.environ.update({k: env[k] for k in ("SAMZOO_CATALOG", "SAMZOO_CACHE_DIR")})
    for seed, name in enumerate(MODELS):
        path = ckpts / f"{name}.pt"
        save_random_checkpoint(path, "vit_t", seed=seed)
        add_model(name, encoder="vit_t", weights=str(path), hash=file_hash(path, "sha256"),
                  domain="light_microscopy", description=f"benchmark model {name} (random weights)")

    common = ["build", "--all", "--models", *MODELS, "--checkpoints", str(ckpts)] + (["--validate"] if args.validate else [])
    t1, rows1 = _run([*common, "-o", str(work / "jobs1"), "--jobs", "1"], env)
    t2, rows2 = _run([*common, "-o", str(work / "jobs2"), "--jobs", "2"], env)
    t3, rows3 = _run([*common, "-o", str(work / "jobs2"), "--jobs", "2"], env)

    statuses = {r["status"] for r in rows1 + rows2}
    same = [r["sha256"] for r in rows1] == [r["sha256"] for r in rows2] == [r["sha256"] for r in rows3]
    print(f"samzoo build --all, 3 vit_t models{' with --validate' if args.validate else ''}, {os.cpu_count()} cores")
    print(f"  --jobs 1 (empty folder)        {t1:7.1f} s   statuses {sorted(statuses)}")
    print(f"  --jobs 2 (empty folder)        {t2:7.1f} s   ratio to --jobs 1: {t2 / t1:.2f} (target < 1)")
    print(f"  --jobs 2 again, nothing changed {t3:6.1f} s   ratio to first --jobs 2 run: {t3 / t2:.3f} (target < 0.10); "
          f"skipped {sum(r['skipped'] for r in rows3)}/3")
    print(f"  identical packages in all runs: {same}")
    print(f"  workdir {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
