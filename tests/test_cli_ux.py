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


def _invalid_package(tmp_path):
    """A package folder whose rdf is YAML but not a valid model: validation runs format, files, zoo, identity."""
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "rdf.yaml").write_text("type: model\nformat_version: 0.5.12\nname: broken\n")
    return folder


def _stderr_on_terminal(*args: str) -> tuple[int, str, str]:
    """Run ``samzoo ARGS`` with stderr on a real pseudo-terminal; returns (exit code, stdout, terminal output)."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "samzoo", *args], stdout=subprocess.PIPE, stderr=slave, cwd=REPO)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode()
    proc.wait(timeout=300)
    os.close(master)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")


def test_validate_shows_each_check_on_a_terminal_only(tmp_path):
    folder = _invalid_package(tmp_path)
    code, out, terminal = _stderr_on_terminal("validate", str(folder))
    assert code == 1 and "FAILED" in out
    for check in ("format", "files", "zoo"):
        assert f"[1/1] pkg: {check} (" in terminal, terminal  # the live line named the check at work
    assert "[1/1] FAILED" in terminal
    code, out, terminal = _stderr_on_terminal("validate", "--quiet", str(folder))
    assert code == 1 and ": format (" not in terminal and "[1/1]" not in terminal
    piped = run_cli("validate", str(folder))  # stderr is a pipe: no progress at all
    assert piped.returncode == 1 and ": format (" not in piped.stderr and "[1/1]" not in piped.stderr
