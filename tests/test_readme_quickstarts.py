"""The README's three quickstarts run as written: publish (catalog add, build, validate), validate in CI
(the `run:` steps of the GitHub Actions snippet), load by name in a script.

The blocks are taken from README.md (each follows a ``<!-- quickstart:NAME -->`` marker) and run in a
fresh folder holding ``best.pt``, a random-initialised vit_t checkpoint standing in for the reader's
fine-tuned one; ``samzoo`` on PATH runs this checkout. Nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers.cli import REPO

MARKER = re.compile(r"<!-- quickstart:(\w+) -->\s*```(\w+)\n(.*?)```", re.S)


def quickstarts() -> dict[str, tuple[str, str]]:
    """name -> (language, code) of every quickstart block in README.md."""
    return {m.group(1): (m.group(2), m.group(3)) for m in MARKER.finditer((REPO / "README.md").read_text(encoding="utf-8"))}


def test_readme_has_the_three_quickstarts():
    blocks = quickstarts()
    assert list(blocks) == ["publish", "ci", "load"], list(blocks)
    assert [lang for lang, _ in blocks.values()] == ["bash", "yaml", "python"]


def _shell(tmp_path: Path) -> dict[str, str]:
    """The environment of a reader's shell: `samzoo` on PATH runs this checkout's code."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "samzoo"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m samzoo "$@"\n')
    shim.chmod(0o755)
    src = str(REPO / "src")
    git_config = tmp_path / "gitconfig"  # a reader without a git identity: the quickstarts must not need one
    git_config.write_text("")
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p),
            "GIT_CONFIG_GLOBAL": str(git_config), "GIT_CONFIG_NOSYSTEM": "1"}


def _run_bash(code: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=1500)
    assert proc.returncode == 0, f"$ {code}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow
def test_quickstarts_run_as_written(tmp_path, vit_t_checkpoint, hypha_zoo):
    import shutil

    blocks = quickstarts()
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(vit_t_checkpoint, work / "best.pt")
    env = _shell(tmp_path)

    # 1. publish: register, build, publish (validate, newest spec, upload) to a real zoo server on 127.0.0.1
    zoo_env = {**env, "SAMZOO_ZOO_SERVER": hypha_zoo.url, "BIOIMAGEIO_HYPHA_UPLOAD_TOKEN": hypha_zoo.tokens["alice"]}
    published = _run_bash(blocks["publish"][1], work, zoo_env)
    packages = sorted((work / "release").glob("*.zip"))
    assert len(packages) == 1, list(work.iterdir())
    zoo_id = re.search(r"zoo id: (\S+)", published.stdout).group(1)
    art = hypha_zoo.call("read", artifact_id=f"bioimage-io/{zoo_id}", stage=True)
    assert art["manifest"]["status"] == "request-review" and art["versions"] == []
    spec = yaml.safe_load((tmp_path / "config" / "samzoo" / "catalog" / "vit_t_mylab.yaml").read_text())
    assert spec["nickname"] == zoo_id  # recorded in the user catalog entry: the next build is a new version

    workflow = yaml.safe_load(blocks["ci"][1])  # 2. CI: the workflow's samzoo steps
    steps = [s["run"] for job in workflow["jobs"].values() for s in job["steps"] if "samzoo" in s.get("run", "")
             and not s["run"].lstrip().startswith("pip")]
    assert steps, workflow
    summary = tmp_path / "step_summary.md"
    for step in steps:
        _run_bash(step, work, {**env, "GITHUB_STEP_SUMMARY": str(summary)})
    assert summary.read_text().startswith("## samzoo validate: 1 passed, 0 failed")

    script = work / "quickstart.py"  # 3. load by name in a script
    script.write_text(blocks["load"][1])
    proc = subprocess.run([sys.executable, str(script)], cwd=work, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
