"""A new user's first mistakes get one line that says what is wrong and what to pass (exit 2), as tried in a shell."""

from __future__ import annotations

import zipfile

import pytest

from helpers.cli import run_cli


def _one_line(proc) -> str:
    """The one error line (exit 2); notes said before it (``samzoo: new release: ...``) are not errors."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = [ln for ln in proc.stderr.strip().splitlines() if "error" in ln]
    assert len(lines) == 1 and "usage:" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


@pytest.fixture
def package_zip(tmp_path):
    """A zip holding an rdf.yaml (what `samzoo build` writes), as a user might mistake for a checkpoint."""
    path = tmp_path / "release" / "vit_t_mylab-1.zip"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("rdf.yaml", "type: model\nformat_version: 0.5.4\nname: vit_t_mylab (user model)\n")
        z.writestr("vit_t.pt", b"\0" * 64)
    return path


def test_a_mistyped_flag_or_command_is_one_line():
    assert _one_line(run_cli("build", "vit_b_lm", "--xx")) == \
        "samzoo build: error: unrecognized arguments: --xx (see samzoo build --help)"
    assert _one_line(run_cli("catalog", "list", "--jsn")) == \
        "samzoo catalog list: error: unrecognized arguments: --jsn (see samzoo catalog list --help)"
    assert _one_line(run_cli("buidl")) == \
        "samzoo: error: argument COMMAND: invalid choice: 'buidl'; did you mean build? (see samzoo --help)"
    assert "choose from build, cache" in _one_line(run_cli("zzzz"))  # nothing close: the list


def test_a_folder_as_image_and_a_package_as_checkpoint_are_named_for_what_they_are(tmp_path, vit_t_checkpoint, package_zip):
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint), "--image", str(tmp_path) + "/",
                   "-o", str(tmp_path / "out") + "/")
    folder = _one_line(proc)
    assert folder == f"samzoo: error: --image: {tmp_path} is a folder; pass an image file in it (PNG, TIFF, JPEG, ... or .npy)"
    assert proc.stderr == folder + "\n"  # said before any work, so before any note about the weights or version
    package = _one_line(run_cli("build", "vit_t_lm", "--checkpoint", str(package_zip), "-o", str(tmp_path / "out") + "/"))
    assert package == (f"samzoo: error: {package_zip}: a BioImage.IO package (it holds an rdf.yaml), not a checkpoint; "
                       "pass the SAM weights it was built from (a .pt state dict or micro-sam checkpoint)")
    assert not list(tmp_path.glob("out/*"))  # nothing written


def test_a_summary_path_with_a_file_suffix_other_than_json_is_refused(tmp_path, package_zip):
    target = tmp_path / "x.txt"
    line = _one_line(run_cli("validate", str(package_zip), "--summary", str(target)))
    assert line.startswith(f"samzoo: error: --summary: {target}: a ValidationSummary is JSON; give a .json file"), line
    assert not target.exists()  # no folder named x.txt


def test_recommend_takes_the_domain_as_the_python_api_does():
    positional = run_cli("recommend", "light_microscopy", "--target", "nuclei")
    assert positional.returncode == 0 and positional.stdout.startswith("vit_b_lm\n"), positional.stderr
    flag = run_cli("recommend", "--domain", "light_microscopy", "--target", "nuclei")
    assert flag.returncode == 0 and flag.stdout == positional.stdout
    assert "DOMAIN: missing; e.g. samzoo recommend light_microscopy" in _one_line(run_cli("recommend"))
    assert "give the domain once" in _one_line(run_cli("recommend", "light_microscopy", "--domain", "histopathology"))
