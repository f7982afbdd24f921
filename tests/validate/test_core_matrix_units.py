"""The parts of the core-version matrix that need no environment: environment.yaml mapping, the static
environment check, release numbers, failure explanations, the zoo's pass rule, the reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from helpers.cli import run_cli
from samzoo.plumbing.errors import ArgumentError
from samzoo.validate.checks.environment import check_environment, imported_modules
from samzoo.validate.core_matrix.releases import check_core_versions, core_requirements
from samzoo.validate.environment_file import parse_environment
from samzoo.validate.core_matrix.envs import _last_words, env_key
from samzoo.validate.core_matrix.zoo_test import explain, zoo_passed
from samzoo.validate.report import to_html, to_json, to_markdown
from samzoo.validate.result import CheckResult, CoreResult, PackageReport

MICRO_SAM_ENV = {"name": "sam", "channels": ["pytorch", "conda-forge"],
                 "dependencies": ["segment-anything", "timm", {"pip": ["git+https://github.com/ChaoningZhang/MobileSAM.git"]}]}


def test_conda_names_map_to_pypi_and_unknown_ones_are_reported():
    env = parse_environment({"dependencies": [
        "python>=3.10", "conda-forge::pytorch=2.1", "timm >=0.9", "cudatoolkit=11.8", "weird-conda-only-thing",
        "numpy 1.26.*", "pip", {"pip": ["mobilesam-mirror>=1.0", "git+https://github.com/ChaoningZhang/MobileSAM.git"]},
    ]})
    assert env.requirements == ("torch==2.1.*", "timm>=0.9", "numpy==1.26.*", "mobilesam-mirror>=1.0",
                                "git+https://github.com/ChaoningZhang/MobileSAM.git")
    assert env.python == ">=3.10"
    assert env.unmapped == ("weird-conda-only-thing",)
    assert env.dropped == ("cudatoolkit=11.8", "pip")


def test_conda_segment_anything_brings_torch_as_on_conda_forge():
    env = parse_environment(MICRO_SAM_ENV)
    assert env.requirements[:3] == ("segment-anything", "torch>=1.7", "torchvision>=0.8")
    assert "timm" in env.requirements and env.unmapped == ()


def test_not_an_environment_file():
    from samzoo.validate.environment_file import EnvironmentFileError

    with pytest.raises(EnvironmentFileError, match="dependencies"):
        parse_environment(["pytorch"])


# --- static environment check ----------------------------------------------------------------------


ARCH = """import warnings
import torch
from torch import nn
try:
    from mobile_sam import sam_model_registry
except ImportError:
    from segment_anything import sam_model_registry


def build():
    import numpy as np
    from . import sibling  # relative imports are not modules to install
    return np
"""


def _package(tmp_path: Path, deps: list) -> tuple[dict, Path]:
    (tmp_path / "arch.py").write_text(ARCH)
    (tmp_path / "environment.yaml").write_text(yaml.safe_dump({"name": "x", "dependencies": deps}))
    rdf = {"weights": {"pytorch_state_dict": {"source": "w.pt", "architecture": {"source": "arch.py", "callable": "A"},
                                              "dependencies": {"source": "environment.yaml"}}}}
    return rdf, tmp_path


def test_imports_are_read_with_their_guards():
    required, optional = imported_modules(ARCH)
    assert required == {"torch"}  # warnings is standard library
    assert optional == {"mobile_sam", "segment_anything", "numpy"}  # guarded, or inside a function


def test_environment_check_passes_when_everything_is_provided(tmp_path):
    rdf, root = _package(tmp_path, ["pytorch>=2.1", "timm>=0.9", {"pip": ["mobilesam-mirror>=1.0", "segment-anything>=1.0"]}])
    result = check_environment(rdf, root)
    assert result.status == "passed", result.message


def test_environment_check_fails_for_a_missing_module(tmp_path):
    rdf, root = _package(tmp_path, [{"pip": ["mobilesam-mirror>=1.0"]}])
    result = check_environment(rdf, root)
    assert result.status == "failed" and "imports torch" in result.message and "add torch" in result.message


def test_environment_check_warns_for_no_lower_bound_and_unneeded(tmp_path):
    rdf, root = _package(tmp_path, ["pytorch", "scikit-image>=0.22", "weird-conda-only-thing", {"pip": ["mobilesam-mirror>=1.0"]}])
    result = check_environment(rdf, root)
    assert result.status == "warning"
    assert "no lower bound for torch" in result.message
    assert "scikit-image not needed" in result.message
    assert "weird-conda-only-thing" in result.message


def test_environment_check_without_environment_file_fails(tmp_path):
    rdf, root = _package(tmp_path, [])
    del rdf["weights"]["pytorch_state_dict"]["dependencies"]
    assert check_environment(rdf, root).status == "failed"


# --- releases, keys, explanations ----------------------------------------------------------------


def test_core_versions_are_checked():
    assert check_core_versions(["0.10.4", "0.11.0", "0.10.4"]) == ("0.10.4", "0.11.0")
    with pytest.raises(ArgumentError) as e:
        check_core_versions(["latest"])
    assert e.value.argument == "core_versions" and "--" not in e.value.problem
    assert core_requirements("0.11.0") == ("bioimageio.core==0.11.0", "bioimageio.spec==0.5.12.0", "pydantic<2.14")


def test_cli_renders_a_bad_release_as_its_flag(tmp_path):
    proc = run_cli("validate", str(tmp_path), "--core", "newest")
    assert proc.returncode == 2 and "--core: 'newest' is not a release number" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_env_key_depends_on_requirements_not_their_order():
    a = env_key(["torch>=2.1", "bioimageio.core==0.11.0"], "3.11.7", ())
    assert a == env_key(["bioimageio.core==0.11.0", "torch>=2.1"], "3.11.7", ())
    assert a != env_key(["torch>=2.1", "bioimageio.core==0.10.4"], "3.11.7", ())
    assert a != env_key(["torch>=2.1", "bioimageio.core==0.11.0"], "3.10.0", ())


def test_installer_errors_become_one_line():
    text = ("Using Python 3.11.7\n   Updating https://github.com/x/MobileSAM.git (HEAD)\nerror: Git operation failed\n"
            "  cause: failed to clone\n         fatal: unable to access 'https://github.com/x/MobileSAM.git/': Could not resolve host: github.com\n")
    line = _last_words(text)
    assert "\n" not in line and line.startswith("error: Git operation failed") and "Could not resolve host" in line


def test_strict_failure_is_explained():
    details = [{"name": "Reproduce test outputs from test inputs (pytorch_state_dict)", "status": "failed", "errors": [
        {"loc": "weights.pytorch_state_dict", "msg": "PredictorAdaptor.load_state_dict() got an unexpected keyword argument 'strict'"}]}]
    msg = explain(details, "0.5.10.1", "0.5.0")
    assert "load_state_dict() does not accept 'strict'" in msg and "0.10.3" in msg


def test_import_and_format_failures_are_explained():
    imports = [{"name": "Reproduce test outputs from test inputs (pytorch_state_dict)", "status": "failed", "errors": [
        {"loc": "weights.pytorch_state_dict", "msg": "Failed to import predictor_adaptor.py",
         "causes": ["ModuleNotFoundError: No module named 'segment_anything'", "ImportError: Failed to import predictor_adaptor.py"]}]}]
    assert "No module named 'segment_anything'" in explain(imports, "0.5.12.0", "0.5.12")
    fmt = [{"name": "bioimageio.spec format validation model 0.5.10", "status": "failed", "errors": [
        {"loc": "covers.0", "msg": "Input should be a valid string"}]}]
    msg = explain(fmt, "0.5.10.2", "0.5.12")
    assert "bioimageio.spec 0.5.10.2 cannot read this package (format_version 0.5.12)" in msg and "covers.0" in msg


def test_zoo_pass_rule():
    assert zoo_passed({"status": "passed", "details": []})
    reproduced = {"status": "failed", "details": [{"name": "Reproduce test outputs from test inputs (pytorch_state_dict)", "status": "passed"},
                                                  {"name": "Run pytorch_state_dict inference for parametrized inputs", "status": "failed"}]}
    assert zoo_passed(reproduced)
    assert not zoo_passed({"status": "valid-format", "details": [{"name": "Reproduce test outputs from test inputs (pytorch_state_dict)", "status": "failed"}]})


def test_reports_carry_one_row_per_release():
    report = PackageReport(source="p.zip", checks=(CheckResult("source", "passed", "ok"),), cores=(
        CoreResult("0.11.0", "passed", "test_description passed", 12.0, 30.5, True, "abc123", "0.5.12.0"),
        CoreResult("0.10.4", "failed", "bioimageio.spec 0.5.10.2 cannot read this package", 3.0, 0.0, False, "def456", "0.5.10.2", ("weird",)),
    ))
    assert not report.passed  # a failed release fails the package
    data = json.loads(to_json([report]))["packages"][0]["cores"]
    assert [(c["core"], c["status"], c["installed"]) for c in data] == [("0.11.0", "passed", True), ("0.10.4", "failed", False)]
    assert PackageReport.from_dict(json.loads(to_json([report]))["packages"][0]).cores == report.cores
    md = to_markdown([report])
    assert "| 0.10.4 | ❌ failed |" in md and "not mapped: weird" in md
    html = to_html([report])
    assert "<td>0.11.0</td>" in html and "cannot read this package" in html
