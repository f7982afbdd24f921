"""`samzoo build`: flags that do nothing are refused; --validate works for one build too."""

from __future__ import annotations

import pytest

from helpers.cli import run_cli


@pytest.mark.parametrize(
    "args, words",
    [
        (["vit_b_lm", "--checkpoint", "x.pt", "--jobs", "4"], "--jobs applies only to --all"),
        (["vit_b_lm", "--checkpoint", "x.pt", "--from-catalog"], "--from-catalog applies only to --all"),
        (["vit_b_lm", "--checkpoint", "x.pt", "--device", "cuda"], "--device is the validation's inference device; add --validate"),
        (["--all", "-o", "out", "--from-catalog", "--image", "a.png"], "--image applies to one build"),
    ],
)
def test_flags_that_do_not_apply_are_refused(args, words):
    proc = run_cli("build", *args)
    assert proc.returncode == 2 and words in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_single_build_validates_and_writes_the_step_summary(tmp_path, vit_t_checkpoint):
    summary = tmp_path / "summary.md"
    out = tmp_path / "vit_t_lm.zip"
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint), "-o", str(out), "--validate",
                   "--device", "cpu", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "validation: PASSED" in proc.stdout and "encoder" in proc.stdout
    assert summary.read_text().startswith("## samzoo validate: 1 passed, 0 failed")


@pytest.mark.slow
def test_output_folders_are_created_and_stages_show_on_a_terminal(tmp_path, vit_t_checkpoint):
    from test_cli_ux import _stderr_on_terminal

    out = tmp_path / "new" / "folder" / "pkg.zip"
    code, stdout, terminal = _stderr_on_terminal("build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint), "-o", str(out))
    assert code == 0 and out.is_file(), stdout + terminal
    for stage in ("reading the checkpoint", "encoder pass", "writing the zip"):
        assert f"building vit_t_lm: {stage} (" in terminal, terminal
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint), "-o", str(tmp_path / "release") + "/", "--quiet")
    assert proc.returncode == 0, proc.stderr
    built = [p.name for p in (tmp_path / "release").iterdir()]
    assert len(built) == 1 and built[0].startswith("faithful-chicken-") and built[0].endswith(".zip"), built
    assert "building vit_t_lm:" not in proc.stderr
