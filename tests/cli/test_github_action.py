"""The composite GitHub Action (action.yml), its validate step run as a runner runs it.

The runner's part is reproduced, nothing of samzoo's: the step's ``env:`` with ``${{ inputs.* }}`` and
``${{ github.action_path }}`` evaluated (any other expression fails the test), unset inputs taking their
defaults, ``GITHUB_STEP_SUMMARY`` and ``GITHUB_OUTPUT`` pointing at files, and the step's ``run`` executed as
``bash --noprofile --norc -eo pipefail SCRIPT`` in the workspace. The setup-python and install steps are not run:
samzoo is already installed here (the ``python`` on PATH is this interpreter, PYTHONPATH the checkout's src/).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers.ci_packages import write_ci_package
from helpers.cli import REPO

ACTION = REPO / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
INPUTS = {"packages", "core", "report", "quick", "python-version", "torch-index-url"}
OUTPUTS = {"passed", "failed", "failed-packages", "report"}


def action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def step(name_or_id: str) -> dict:
    return next(s for s in action()["runs"]["steps"] if name_or_id in (s.get("id"), s.get("name")))


def evaluate(text: str, inputs: dict[str, str]) -> str:
    """``text`` with the runner's ``${{ inputs.X }}`` and ``${{ github.action_path }}`` filled in; nothing else."""
    def value(match: re.Match) -> str:
        expr = match.group(1)
        if expr == "github.action_path":
            return str(REPO)
        name = expr.removeprefix("inputs.")
        if name != expr and name in inputs:
            return inputs[name]
        pytest.fail(f"action.yml: the test runner evaluates only inputs.* and github.action_path, not {match.group(0)}")

    return EXPRESSION.sub(value, text)


def read_outputs(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it: ``key=value`` lines and ``key<<DELIMITER`` blocks."""
    out, lines = {}, text.splitlines()
    while lines:
        line = lines.pop(0)
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            end = lines.index(delimiter)
            out[key], lines = "\n".join(lines[:end]), lines[end + 1:]
        else:
            key, value = line.split("=", 1)
            out[key] = value
    return out


def run_validate_step(workspace: Path, given: dict[str, str]) -> tuple[subprocess.CompletedProcess, dict[str, str], str]:
    """Run the action's validate step with the inputs ``given`` (the rest at their defaults) in ``workspace``."""
    declared = action()["inputs"]
    inputs = {name: str(given.get(name, spec.get("default", ""))) for name, spec in declared.items()}
    validate = step("validate")
    summary, outputs = workspace.parent / "step_summary.md", workspace.parent / "github_output.txt"
    summary.write_text("# an earlier step\n", encoding="utf-8")
    outputs.unlink(missing_ok=True)
    script = workspace.parent / "step.sh"
    script.write_text(validate["run"], encoding="utf-8")
    env = {**os.environ, **{k: evaluate(str(v), inputs) for k, v in validate.get("env", {}).items()},
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")])),
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs), "GITHUB_WORKSPACE": str(workspace)}
    assert validate["shell"] == "bash"
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=300)
    written = outputs.read_text(encoding="utf-8") if outputs.exists() else ""
    return proc, read_outputs(written), summary.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("action_packages")
    write_ci_package(root / "good")
    write_ci_package(root / "broken", broken=True, rdf_name="bioimageio.yaml")
    return root


def test_the_action_declares_its_inputs_and_outputs_and_only_known_expressions():
    spec = action()
    assert spec["runs"]["using"] == "composite"
    assert set(spec["inputs"]) == INPUTS and set(spec["outputs"]) == OUTPUTS
    for name, out in spec["outputs"].items():
        assert out["value"] == f"${{{{ steps.validate.outputs.{name} }}}}" and out["description"]
    text = ACTION.read_text(encoding="utf-8")
    known = {f"inputs.{n}" for n in INPUTS} | {"github.action_path"} | {f"steps.validate.outputs.{n}" for n in OUTPUTS}
    assert set(EXPRESSION.findall(text)) <= known, set(EXPRESSION.findall(text)) - known
    for s in spec["runs"]["steps"]:
        assert "${{" not in s.get("run", ""), f"{s['name']}: inputs reach a script through env:, never its text"
        assert "run" not in s or s["shell"] == "bash"
    # the entry point reads every input the step maps, as INPUT_<NAME>
    assert step("validate")["env"] == {f"INPUT_{n.upper()}": f"${{{{ inputs.{n} }}}}" for n in ("packages", "core", "report", "quick")}
    assert step("validate")["run"].strip() == "python -m samzoo.cli.github_action"
    install = step("Install samzoo")  # not run here (samzoo is installed): its env evaluates, it installs the action's own tree
    assert evaluate(install["env"]["SAMZOO_ACTION_PATH"], {}) == str(REPO) and '"$SAMZOO_ACTION_PATH"' in install["run"]


def test_the_validate_step_passes_a_good_package_and_fails_a_broken_one(packages, tmp_path):
    workspace = tmp_path / "workspace"
    shutil.copytree(packages / "good", workspace / "release" / "good")
    proc, outputs, summary = run_validate_step(workspace, {})  # every input at its default: packages ".", an HTML report
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"PASSED\s+release/good", proc.stdout), proc.stdout
    assert outputs == {"passed": "true", "failed": "0", "failed-packages": "", "report": "samzoo-validation.html"}
    assert (workspace / "samzoo-validation.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html>")
    assert summary.startswith("# an earlier step\n## samzoo validate: 1 passed, 0 failed\n\n| package | status |")

    # a glob (matching the broken package only), quick mode, a Markdown report in a folder the step creates
    shutil.copytree(packages / "broken", workspace / "release" / "broken")
    proc, outputs, summary = run_validate_step(
        workspace, {"packages": "release/*/bioimageio.yaml", "quick": "true", "report": "reports/validation.md"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert outputs == {"passed": "false", "failed": "1", "failed-packages": "release/broken/bioimageio.yaml",
                       "report": "reports/validation.md"}
    overview = summary.split("\n### ")[0]
    assert overview.startswith("# an earlier step\n## samzoo validate: 0 passed, 1 failed")
    assert "plain convolution" in overview and "| ❌ **failed** |" in overview and "| inference | ❌" not in overview  # overview first
    assert "### ❌ FAILED: plain convolution" in summary and "could not load the model (torchscript)" in summary
    assert (workspace / "reports" / "validation.md").read_text(encoding="utf-8").startswith("## samzoo validate: 0 passed, 1 failed")
    assert "Traceback" not in proc.stderr


def test_a_multi_line_output_uses_a_delimiter_that_cannot_close_it_early():
    from samzoo.cli.github_action import output_lines

    text = output_lines("failed-packages", "a/rdf.yaml\nb/rdf.yaml")
    assert read_outputs(text) == {"failed-packages": "a/rdf.yaml\nb/rdf.yaml"}
    delimiter = text.splitlines()[0].split("<<")[1]
    assert delimiter.startswith("ghadelimiter_") and delimiter != output_lines("x", "1\n2").splitlines()[0].split("<<")[1]
    assert output_lines("passed", "true") == "passed=true\n"


@pytest.mark.parametrize(("given", "line"), [
    ({"quick": "yes"}, "input quick: 'yes' is not true or false"),
    ({"report": "validation.txt"}, "input report: validation.txt: unknown report format"),
    ({"packages": "release/*.zip"}, "input packages: release/*.zip: the pattern matches no file or folder"),
    ({"packages": "missing"}, "input packages: missing: no such file or folder"),
    ({"core": "latest"}, "input core: 'latest' is not a release number"),
    ({"packages": "'unclosed"}, "input packages: \"'unclosed\": No closing quotation"),
], ids=["quick", "report", "glob", "missing", "core", "quote"])
def test_a_bad_input_is_one_line_and_exit_2_with_no_outputs(tmp_path, given, line):
    workspace = tmp_path / "workspace"
    (workspace / "release" / "pkg").mkdir(parents=True)
    (workspace / "release" / "pkg" / "rdf.yaml").write_text("type: model\n")  # never read: the inputs fail first
    proc, outputs, summary = run_validate_step(workspace, {"packages": "release", **given})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"samzoo: error: {line}") and proc.stderr.count("\n") == 1, proc.stderr
    assert outputs == {} and summary == "# an earlier step\n"
    assert not (workspace / "samzoo-validation.html").exists()
