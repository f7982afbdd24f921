"""Where a package lands (builder/output.py, builder/staging.py): default names, replacing only when forced,
nothing left behind by a failed or interrupted build."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from helpers.cli import run_cli


def test_a_package_with_other_bytes_is_replaced_only_when_forced(vit_t_package, vit_t_checkpoint, tmp_path):
    """An existing file at the output path with other bytes is refused (left as it was) unless --force (the same bytes:
    test_same_checkpoint_gives_the_same_bytes)."""
    out = tmp_path / "pkg.zip"
    out.write_bytes(b"an older package")
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint), "-o", str(out))
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].startswith(f"samzoo: error: --output: {out} already holds another package (sha256 ")
    assert "it is not replaced unless forced" in proc.stderr
    assert out.read_bytes() == b"an older package" and [p.name for p in tmp_path.iterdir()] == ["pkg.zip"]
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint), "-o", str(out), "--force")
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == vit_t_package.path.read_bytes()


@pytest.mark.slow
def test_interrupted_build_leaves_nothing(vit_t_checkpoint, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "samzoo", "build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint),
                             "-o", str(tmp_path / "out.zip")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path)
    deadline = time.time() + 120
    while not any(p.name.endswith(".build") for p in tmp_path.iterdir()):  # staging started
        assert time.time() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert list(tmp_path.iterdir()) == []


def test_default_names_tell_the_kinds_apart():
    from samzoo.builder import automatic, interactive
    from samzoo.builder.output import default_output

    assert str(default_output("vit_t_lm", "faithful-chicken", "1.2", interactive.KIND)) == "faithful-chicken-1.2.zip"
    assert str(default_output("vit_t_lm", None, "1", automatic.KIND)) == "vit_t_lm-1-ais.zip"


@pytest.mark.parametrize("formats", [[], ["--weight-format", "torchscript"]])
def test_an_output_that_cannot_be_written_is_exit_1_and_leaves_no_temporary_folder(formats, vit_t_checkpoint, tmp_path):
    """A package into /proc: one line, exit 1 (an OutputError, not a usage error), nothing left in TMPDIR or elsewhere."""
    (tmp_path / "tmp").mkdir()
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint), "-o", "/proc/samzoo-test.zip", *formats,
                   cwd=tmp_path, env={"TMPDIR": str(tmp_path / "tmp")})
    errors = [line for line in proc.stderr.splitlines() if line.startswith("samzoo: error:")]
    assert proc.returncode == 1 and len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "/proc: cannot write the package there" in errors[0] and "choose another output" in errors[0]
    assert list((tmp_path / "tmp").iterdir()) == [] and [p.name for p in tmp_path.iterdir()] == ["tmp"]
