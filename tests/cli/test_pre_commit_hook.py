"""The pre-commit hooks (.pre-commit-hooks.yaml), run for real with ``pre-commit try-repo``.

try-repo takes the hooks from a git repository's HEAD: a snapshot of this checkout (its tracked and untracked,
not ignored files) is committed to a temporary repository. The user's repository is another temporary one,
holding a good package, a broken one and an unrelated YAML file. ``samzoo-validate-system`` runs the samzoo on
PATH (this interpreter's bin folder) on the files a commit would pass (``--files``); ``samzoo-validate``
(``language: python``) makes pre-commit install samzoo and its dependencies into an environment of its own, each
time (try-repo keeps no store), then runs on ``--all-files``: ~90 s, marked slow.
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

HOOK_IDS = ("samzoo-validate", "samzoo-validate-system")


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", "-c", "user.name=samzoo tests", "-c", "user.email=tests@samzoo", "-c", "commit.gpgsign=false",
                           *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def hooks() -> dict[str, dict]:
    return {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def samzoo_repo(tmp_path_factory) -> Path:
    """This checkout as it is now (uncommitted work included), committed to a repository of its own."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: try-repo needs the hooks in a git repository")
    names = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    snapshot = tmp_path_factory.mktemp("samzoo_repo")
    for name in filter(None, names):
        if (REPO / name).is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, snapshot / name)
    git("init", "-q", cwd=snapshot)
    git("add", "-A", cwd=snapshot)
    git("commit", "-q", "-m", "snapshot", cwd=snapshot)
    return snapshot


@pytest.fixture(scope="module")
def user_repo(tmp_path_factory) -> Path:
    """A repository with good/rdf.yaml, broken/bioimageio.yaml (its weights are no TorchScript) and notes/config.yaml."""
    repo = tmp_path_factory.mktemp("user_repo")
    write_ci_package(repo / "good")
    write_ci_package(repo / "broken", broken=True, rdf_name="bioimageio.yaml")
    (repo / "notes").mkdir()
    (repo / "notes" / "config.yaml").write_text("name: [unclosed\n")  # no package: the hooks must not see it
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    return repo


def try_repo(samzoo_repo: Path, user_repo: Path, hook: str, *files: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``pre-commit try-repo SAMZOO_REPO HOOK --verbose`` on ``--files FILES`` (all files when none) in ``user_repo``."""
    which = ["--files", *files] if files else ["--all-files"]
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(samzoo_repo), hook, "--verbose", *which],
                          cwd=user_repo, env=env, capture_output=True, text=True, timeout=900)


def test_the_hooks_take_package_descriptions_only():
    for hook_id in HOOK_IDS:
        hook = hooks()[hook_id]
        assert hook["entry"] == "samzoo validate --quick" and hook["require_serial"] is True
        files = re.compile(hook["files"])
        for name in ("rdf.yaml", "models/a/rdf.yaml", "a/bioimageio.yaml", "a/vit_t.bioimageio.yaml"):
            assert files.search(name), (hook_id, name)
        for name in ("rdf.yml", "a/rdf.yaml.bak", "a/myrdf.yaml", "notes/config.yaml", "a/.bioimageio.yaml", "bioimageio.yaml/x"):
            assert not files.search(name), (hook_id, name)
    assert hooks()["samzoo-validate"]["language"] == "python" and hooks()["samzoo-validate-system"]["language"] == "system"


def test_the_system_hook_fails_the_broken_package_and_passes_the_good_one(samzoo_repo, user_repo, tmp_path):
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # the samzoo installed here
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))}
    # as on a commit: the changed files, of which the hook takes the package descriptions (not the README, not notes/)
    changed = ("good/rdf.yaml", "good/README.md", "broken/bioimageio.yaml", "notes/config.yaml")
    proc = try_repo(samzoo_repo, user_repo, "samzoo-validate-system", *changed, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "samzoo validate (quick)" in out and "Failed" in out and "- exit code: 1" in out
    assert re.search(r"FAILED\s+broken/bioimageio.yaml", out) and "could not load the model (torchscript)" in out
    assert re.search(r"PASSED\s+good/rdf.yaml", out) and "1 passed, 1 failed" in out
    assert "config.yaml" not in out and "README" not in out and "Traceback" not in out


def _local_torch_pin() -> list[str]:
    """``torch==V`` for a CPU torch wheel in pip's find-links folders (this machine's), so pip takes it, not a CUDA download."""
    for folder in os.environ.get("PIP_FIND_LINKS", "").split():
        for wheel in sorted(Path(folder).glob("torch-*+cpu-*.whl")) if Path(folder).is_dir() else []:
            return [f"torch=={wheel.name.split('-')[1].split('+')[0]}"]
    return []


@pytest.mark.slow
def test_the_python_hook_installs_samzoo_and_validates(samzoo_repo, user_repo, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XDG_CONFIG_HOME")}  # pip's own configuration applies
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit")
    pin = _local_torch_pin()
    if pin:
        constraints = tmp_path / "torch-constraint.txt"
        constraints.write_text("\n".join(pin) + "\n")
        env["PIP_CONSTRAINT"] = " ".join(filter(None, [os.environ.get("PIP_CONSTRAINT"), str(constraints)]))
    proc = try_repo(samzoo_repo, user_repo, "samzoo-validate", env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Installing environment for" in out  # pre-commit's own environment, with samzoo from the repository
    assert re.search(r"FAILED\s+broken/bioimageio.yaml", out) and re.search(r"PASSED\s+good/rdf.yaml", out) and "1 passed, 1 failed" in out
    assert "config.yaml" not in out and "Traceback" not in out
