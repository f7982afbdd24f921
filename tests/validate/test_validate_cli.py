"""``samzoo validate``: exit codes, reports, usage errors."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from helpers.cli import run_cli
from samzoo.validate import CHECK_NAMES


def test_cli_bad_inputs_exit_1_without_traceback(bad_inputs):
    proc = run_cli("validate", *(str(p) for p in bad_inputs.values()))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.count("FAILED") == len(bad_inputs)


def test_cli_reports_summary_and_exit_0(tmp_path, good_folder):
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    reports = [tmp_path / "r.json", tmp_path / "r.md", tmp_path / "r.html"]
    args = ["validate", "--quick", str(good_folder), "--summary", str(tmp_path / "bioimageio.json")]
    args += [a for r in reports for a in ("--report", str(r))]
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    proc = run_cli(*args, env={"GITHUB_STEP_SUMMARY": str(summary), "TMPDIR": str(private_tmp)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(private_tmp.iterdir()) == []  # the private temp dir (and bioimageio's files in it) is gone
    assert "1 passed, 0 failed" in proc.stdout
    data = json.loads(reports[0].read_text())
    assert data["passed"] is True
    assert {c["name"] for c in data["packages"][0]["checks"]} == set(CHECK_NAMES)
    assert all(set(c) == {"name", "status", "message", "seconds", "details"} for c in data["packages"][0]["checks"])
    from bioimageio.spec.summary import ValidationSummary

    bioimageio_summary = ValidationSummary.load_json(tmp_path / "bioimageio.json")
    assert bioimageio_summary.status == "passed" and bioimageio_summary.type == "model"
    md = reports[1].read_text()
    assert md.startswith("## samzoo validate: 1 passed, 0 failed") and "| inference | ✅ passed |" in md
    text = summary.read_text()
    assert text.startswith("# earlier step\n") and "## samzoo validate" in text

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.imgs = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            if tag == "img":
                self.imgs.append(dict(attrs)["src"])

    parser = Collect()
    parser.feed(reports[2].read_text())
    assert parser.tags.count("section") == 1 and parser.tags.count("tr") == 2 + len(CHECK_NAMES) + 1  # overview + checks
    assert parser.imgs and parser.imgs[0].startswith("data:image/jpeg;base64,")
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    "args, words",
    [
        (["validate", "/no/such/package.zip"], "no such file or folder"),
        (["validate", "--report", "out.txt", "x.zip"], "unknown report format"),
        (["validate", "--device", "cuda", "x.zip"], "no CUDA GPU"),
        (["validate", "--jobs", "0", "x.zip"], "--jobs: 0 is not a number"),
    ],
)
def test_cli_usage_errors_exit_2(args, words):
    import torch

    if "cuda" in args and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    proc = run_cli(*args)
    assert proc.returncode == 2 and words in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
