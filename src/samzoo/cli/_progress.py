"""Progress on a terminal: one live line on stderr naming the stage at work, and permanent lines for results.

Shown only when stderr is a terminal and ``--quiet`` is not given; otherwise every call is a no-op,
so piped output and CI logs stay clean. Built on ``rich`` (a spinner redrawn in place).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """Give a command the ``--quiet`` / ``-q`` flag."""
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress display (it shows only on a terminal anyway)")


def wanted(args: argparse.Namespace) -> bool:
    """Progress is shown when stderr is a terminal and the user did not ask for quiet."""
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


class StageProgress:
    """``with StageProgress(enabled) as p: p.stage("building vit_b_lm", "writing the zip")``; ``p.line(text)``."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._live: Any = None
        self._started = time.perf_counter()
        self._what = ""

    def __enter__(self) -> StageProgress:
        if self.enabled:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(console=Console(stderr=True), transient=True, refresh_per_second=8)
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def stage(self, what: str, stage: str) -> None:
        """Show ``what: stage`` with a spinner and the seconds since ``what`` began."""
        if self._live is None:
            return
        from rich.spinner import Spinner
        from rich.text import Text

        if what != self._what:
            self._what, self._started = what, time.perf_counter()
        elapsed = time.perf_counter() - self._started
        self._live.update(Spinner("dots", text=Text(f"{what}: {stage} ({elapsed:.0f} s)", no_wrap=True, overflow="ellipsis")), refresh=True)

    def line(self, text: str) -> None:
        """A permanent line above the live one (or plainly on stderr when the live line is off)."""
        if self._live is not None:
            self._live.console.print(text, markup=False, highlight=False)
        elif self.enabled:
            print(text, file=sys.stderr, flush=True)


def byte_bars(args: argparse.Namespace):
    """A tqdm bar factory (``bars(label)``) for transfers on stderr when progress is :func:`wanted`, else None."""
    if not wanted(args):
        return None
    from tqdm.auto import tqdm

    return lambda label: tqdm(desc=label, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, leave=False)
