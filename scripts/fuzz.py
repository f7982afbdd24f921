"""Run samzoo's fuzz suite: malformed inputs through the real ``samzoo`` command, judged by an oracle.

    python scripts/fuzz.py [--root DIR] [--only PREFIX ...] [--jobs 2] [--list] [--keep]

Prints one line per case (status, exit code, seconds, peak memory, disk) and a summary; exits 1
when any case broke a rule (see tests/helpers/fuzz_harness.py for the oracle), 0 otherwise. The cases are
in tests/helpers/fuzz_cases.py; tests/test_fuzz.py runs this suite in CI.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS.parent / "src"))

from helpers.fuzz_cases import HostileServer, all_cases, build_shared  # noqa: E402  (after the path set-up)
from helpers.fuzz_harness import Ctx, Verdict, run_all  # noqa: E402


def select(cases, only):
    return [c for c in cases if not only or any(c.name.startswith(o) for o in only)]


def run_suite(root: Path, only: list[str] | None = None, jobs: int = 2, echo=print) -> list[Verdict]:
    """Build the shared inputs, start the hostile server, run the selected cases."""
    ctx = Ctx(root=root)
    start = time.monotonic()
    build_shared(ctx)
    echo(f"shared inputs ready in {time.monotonic() - start:.1f} s")
    server = HostileServer(root / "server", ctx.shared["ckpt"])
    try:
        cases = select(all_cases(server), only)
        echo(f"{len(cases)} cases")

        def done(v: Verdict) -> None:
            status = "ok  " if v.ok else "FAIL"
            echo(f"{status} {v.name:50s} exit {v.code!s:>4s} {v.seconds:6.1f} s {v.peak_mb:7.0f} MB {v.disk_mb:7.1f} MB disk"
                 + ("" if v.ok else f"  {'; '.join(v.problems)}"))

        return run_all(cases, ctx, jobs=jobs, on_done=done)
    finally:
        server.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", help="where the cases run (default: a new temporary folder, removed afterwards)")
    p.add_argument("--only", nargs="+", metavar="PREFIX", help="run only cases whose name starts with PREFIX")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--list", action="store_true", help="list the case names and exit")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("--show", action="store_true", help="print the output of failed cases")
    args = p.parse_args()
    if args.list:
        class _Fake:
            url, ok_hash, pickle_hash, marker = "http://127.0.0.1:1", "sha256:0", "sha256:0", Path("/nonexistent")
        for c in select(all_cases(_Fake()), args.only):
            print(c.name)
        return 0
    root = Path(args.root) if args.root else Path(tempfile.mkdtemp(prefix="samzoo-fuzz-"))
    start = time.monotonic()
    try:
        verdicts = run_suite(root, args.only, args.jobs)
    finally:
        if not args.root and not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    bad = [v for v in verdicts if not v.ok]
    if args.show:
        for v in bad:
            print(f"--- {v.name}\n{v.output[-3000:]}")
    worst = max(verdicts, key=lambda v: v.peak_mb)
    print(f"{len(verdicts)} cases, {len(bad)} failed, {time.monotonic() - start:.0f} s; "
          f"peak memory {worst.peak_mb:.0f} MB ({worst.name}), most disk {max(v.disk_mb for v in verdicts):.0f} MB")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
