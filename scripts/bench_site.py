"""Benchmark ``samzoo site`` (issue 25 targets), figures and ratios measured in one run.

    PYTHONPATH=src .venv/bin/python scripts/bench_site.py [--repeat 3] [--packages DIR]

1. The whole catalog (no packages, no model run): ``build_site`` in this process, imports paid by an untimed
   warm-up, best of ``--repeat``; and ``samzoo site -o DIR`` as a fresh command (its imports included). Target < 5 s.
2. The largest page (HTML, covers apart) of that site. Target < 200 kB.
With ``--packages DIR`` (``samzoo build --all -o DIR``), the same with the packages' covers and validation.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 5.0
TARGET_PAGE_BYTES = 200_000


def _timed_build(out: Path, packages: str | None, repeat: int) -> float:
    from samzoo.website import build_site

    build_site(out / "warm", packages)
    best = float("inf")
    for i in range(repeat):
        start = time.perf_counter()
        build_site(out / f"run{i}", packages)
        best = min(best, time.perf_counter() - start)
    return best


def _command(out: Path, packages: str | None) -> float:
    args = [sys.executable, "-m", "samzoo", "site", "-o", str(out / "cli"), *(["--packages", packages] if packages else [])]
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def _largest_page(site: Path) -> tuple[str, int]:
    sizes = {p.relative_to(site).as_posix(): p.stat().st_size for p in site.rglob("*.html")}
    name = max(sizes, key=sizes.get)
    return name, sizes[name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--packages", default=None, help="a folder of built packages (samzoo build --all -o DIR)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        seconds = _timed_build(out, args.packages, args.repeat)
        command = _command(out, args.packages)
        pages = len(list((out / "run0" / "models").glob("*.html")))
        name, size = _largest_page(out / "run0")
        what = f"catalog + {args.packages}" if args.packages else "catalog only"
        print(f"site of {pages} model pages ({what})")
        print(f"  build_site, best of {args.repeat}: {seconds:.3f} s  ({seconds / TARGET_SECONDS:.3f}x the {TARGET_SECONDS:.0f} s target)")
        print(f"  samzoo site -o DIR (fresh process): {command:.3f} s  ({command / TARGET_SECONDS:.3f}x the target)")
        print(f"  largest page {name}: {size / 1000:.1f} kB  ({size / TARGET_PAGE_BYTES:.3f}x the {TARGET_PAGE_BYTES // 1000} kB target)")


if __name__ == "__main__":
    main()
