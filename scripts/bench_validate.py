"""Benchmark ``samzoo validate`` against ``bioimageio test`` on the same SAM package, in one run.

Builds, from random-initialised weights of the true architecture, a
micro-sam-style package (the layout micro-sam 1.8.14's ``export_sam_model``
writes; ``tests/helpers/micro_sam_package.py``) and, when ``samzoo.builder`` is
installed, a samzoo-built package. Then, for each package, times as
subprocesses on the same zip:

* ``bioimageio test PKG`` (bioimageio.core's CLI: the reference),
* ``samzoo validate PKG`` (full) and ``samzoo validate --quick PKG``,

and prints each wall time and the ratio to the reference (targets: full <= 1.2,
quick <= 0.6). ``bioimageio test`` runs no encoder pass on a SAM package; full
validation runs exactly one, on the package's test image (the ``encoder``
check), on both packages (on the micro-sam one after reloading the model, whose
architecture caches embeddings). Usage::

    python scripts/bench_validate.py [--encoder vit_b] [--workdir DIR] [--repeat 1] [--packages micro-sam,samzoo]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _timed(cmd: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return time.perf_counter() - start, proc.returncode, (proc.stdout + proc.stderr)[-2000:]


def _checkpoint(workdir: Path, encoder: str) -> Path:
    from samzoo.plumbing.sam_models import save_random_checkpoint

    ckpt = workdir / f"{encoder}_random.pt"
    if not ckpt.exists():
        save_random_checkpoint(ckpt, encoder, seed=0)
    return ckpt


def build_micro_sam(workdir: Path, encoder: str) -> Path:
    sys.path.insert(0, str(REPO / "tests"))
    from helpers.micro_sam_package import write_micro_sam_package

    package = workdir / f"{encoder}_micro_sam.zip"
    if not package.exists():
        start = time.perf_counter()
        write_micro_sam_package(package, _checkpoint(workdir, encoder), encoder)
        print(f"built {package.name} ({package.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - start:.1f} s")
    return package


def build_samzoo(workdir: Path, encoder: str) -> Path | None:
    try:
        from samzoo.builder import build_package
    except ImportError:
        print("samzoo.builder is not available: benchmarking the micro-sam package only")
        return None
    package = workdir / f"{encoder}_samzoo.zip"
    if not package.exists():
        start = time.perf_counter()
        build_package(f"{encoder}_lm", _checkpoint(workdir, encoder), output=package)
        print(f"built {package.name} ({package.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - start:.1f} s")
    return package


def bench(package: Path, repeat: int) -> dict[str, float]:
    commands = {
        "bioimageio test": [str(BIN / "bioimageio"), "test", str(package)],
        "samzoo validate": [sys.executable, "-m", "samzoo", "validate", str(package)],
        "samzoo validate --quick": [sys.executable, "-m", "samzoo", "validate", "--quick", str(package)],
    }
    best: dict[str, float] = {}
    for _ in range(repeat):
        for name, cmd in commands.items():
            seconds, rc, tail = _timed(cmd)
            print(f"  {package.name}: {name:24} {seconds:7.1f} s  (exit {rc})")
            if rc not in (0, 1):
                print(tail)
            best[name] = min(best.get(name, float("inf")), seconds)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", default="vit_b", choices=["vit_t", "vit_b", "vit_l", "vit_h"])
    ap.add_argument("--workdir", type=Path, help="where to keep the checkpoint and package (default: a temporary folder)")
    ap.add_argument("--repeat", type=int, default=1, help="time each command this many times, report the best")
    ap.add_argument("--packages", default="micro-sam,samzoo", help="which packages to build and time (comma-separated)")
    args = ap.parse_args()
    ap_packages = [p.strip() for p in args.packages.split(",") if p.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        packages = []
        if "micro-sam" in ap_packages:
            packages.append(build_micro_sam(workdir, args.encoder))
        if "samzoo" in ap_packages:
            packages.append(build_samzoo(workdir, args.encoder))
        results = {p: bench(p, args.repeat) for p in packages if p is not None}
        print(f"\n{args.encoder}, best of {args.repeat} (wall time, ratio to bioimageio test on the same package):")
        for package, best in results.items():
            ref = best["bioimageio test"]
            print(f"{package.name}:")
            print(f"  bioimageio test          {ref:7.1f} s")
            for name, target in (("samzoo validate", 1.2), ("samzoo validate --quick", 0.6)):
                ratio = best[name] / ref
                print(f"  {name:24} {best[name]:7.1f} s  ratio {ratio:.2f} (target <= {target}) {'OK' if ratio <= target else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
