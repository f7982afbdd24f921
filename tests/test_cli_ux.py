"""The command line as users meet it: --version, a closed pipe, exit codes, progress on a terminal."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO, run_cli


def test_version():
    import samzoo

    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"samzoo {samzoo.__version__}"


def test_closed_stdout_is_no_traceback():
    """`samzoo list | head -1`: the reader closes the pipe before samzoo writes; samzoo stops quietly."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before samzoo writes a byte: every write gets EPIPE
    proc = subprocess.run([sys.executable, "-m", "samzoo", "list", "--all-versions"], stdout=write_end,
                          stderr=subprocess.PIPE, text=True, cwd=REPO, timeout=120)
    os.close(write_end)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert proc.returncode == 141
