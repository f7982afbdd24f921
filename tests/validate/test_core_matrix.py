"""The core-version matrix end to end: a samzoo vit_t package, two bioimageio.core releases, real environments.

The environments are real virtualenvs installed by uv from the package registries (torch from the
machine's configured index); they land in this test's own cache folder. uv's own download cache
makes a rebuild on the same machine a matter of links.
"""

from __future__ import annotations

import time

import pytest

from samzoo.validate import validate_package
from samzoo.validate.core_matrix.releases import core_requirements
from samzoo.validate.environment_file import EnvRequirements
from samzoo.validate.core_matrix.envs import EnvBuildError, cache_dir, ensure_env
from samzoo.validate.core_matrix.zoo_test import check_release

RELEASES = ("0.10.4", "0.11.0")


@pytest.fixture(scope="module")
def samzoo_package(tmp_path_factory, vit_t_checkpoint):
    from samzoo import build_package

    out = tmp_path_factory.mktemp("matrix") / "vit_t_lm.zip"
    return build_package("vit_t_lm", vit_t_checkpoint, output=out).path


@pytest.mark.slow
def test_matrix_two_releases_in_real_environments(samzoo_package, monkeypatch, tmp_path):
    monkeypatch.setenv("SAMZOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("XDG_CONFIG_HOME")  # the machine's pip configuration (its package indexes) applies
    report = validate_package(samzoo_package, quick=True, core_versions=RELEASES)
    cores = {c.core: c for c in report.cores}
    assert tuple(cores) == RELEASES
    for core in RELEASES:
        result = cores[core]
        assert result.status == "passed", result
        assert result.installed and result.install_seconds > 0 and result.env
        assert result.unmapped == ()
    assert cores["0.11.0"].spec == "0.5.12.0" and cores["0.10.4"].spec == "0.5.10.2"
    assert report.passed, [c for c in (*report.checks, *report.cores) if c.status == "failed"]
    envs = sorted(p.name for p in cache_dir().iterdir() if not p.name.startswith("."))
    assert envs == sorted(c.env for c in report.cores)  # one environment per release, nothing half-built left

    # a second run with the same requirements installs nothing: the environment comes from the cache
    start = time.perf_counter()
    env = ensure_env(cores["0.11.0"].requirements)
    assert not env.installed and env.key == cores["0.11.0"].env and time.perf_counter() - start < 5


@pytest.mark.slow
def test_an_environment_that_cannot_be_built_is_a_failed_release(samzoo_package, monkeypatch, tmp_path):
    """A package pinning a spec that core 0.11.0 cannot work with: one failed release, one line, no crash."""
    monkeypatch.setenv("SAMZOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("XDG_CONFIG_HOME")
    env = EnvRequirements(("torch>=2.1", "bioimageio.spec==0.5.10.2"), "", ())
    result = check_release(str(samzoo_package), None, env, "0.11.0")
    assert result.status == "failed" and result.message.startswith("the environment could not be built")
    assert "bioimageio" in result.message and "\n" not in result.message
    assert not any(p for p in cache_dir().iterdir() if not p.name.startswith("."))  # nothing half-built kept
    with pytest.raises(EnvBuildError, match=r"could not|failed"):
        ensure_env([*env.requirements, *core_requirements("0.11.0")])
