"""The command line as users meet it: --version, a closed pipe, exit codes, progress on a terminal."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers.cli import REPO, run_cli


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


def test_exit_codes_usage_2_run_time_1(tmp_path):
    """2: how samzoo was called (unknown name, missing file, bad flag); 1: what happened while working."""
    weights = tmp_path / "w.pt"
    weights.write_bytes(os.urandom(1000))
    usage = [("fetch", "no_such_model"), ("build", "vit_b_lm", "--checkpoint", str(tmp_path / "nope.pt")),
             ("info", "VIT_B_LMX"), ("validate", "--jobs", "0", str(weights))]
    for args in usage:
        proc = run_cli(*args)
        assert proc.returncode == 2 and proc.stderr.startswith("samzoo"), (args, proc.stderr)
    run_time = [("fetch", "vit_b_lm", "--offline"),  # not cached, network not allowed
                ("fetch", weights.as_uri(), "--hash", "xxh128:" + "0" * 32)]  # the file is not the one named
    for args in run_time:
        proc = run_cli(*args)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, (args, proc.stderr)


def test_an_internal_error_is_exit_1_and_shows_its_traceback_on_request(monkeypatch, capsys):
    """A state samzoo should never reach (InternalError: a bug, not a usage error): one line and exit 1, or the
    traceback with SAMZOO_DEBUG=1."""
    import samzoo.catalog
    from samzoo.cli import main
    from samzoo.plumbing.errors import InternalError

    def broken():
        raise InternalError("the package description samzoo wrote is invalid at the top level: No functions provided to try.")

    monkeypatch.setattr(samzoo.catalog, "load_catalog", broken)
    monkeypatch.delenv("SAMZOO_DEBUG", raising=False)
    assert main(["list"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "samzoo: internal error: InternalError: the package description samzoo wrote is invalid at the top level: "
        "No functions provided to try.; please report this (SAMZOO_DEBUG=1 shows the traceback)"]
    monkeypatch.setenv("SAMZOO_DEBUG", "1")
    with pytest.raises(InternalError, match="No functions provided"):
        main(["list"])
