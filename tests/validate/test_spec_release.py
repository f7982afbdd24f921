"""check_with_spec (validate/core_matrix/spec_release.py): a package read by one bioimageio.spec release in its own
real environment (uv, the machine's package indexes); errors and warnings one line each with their location;
an environment that cannot be built is one typed error line.

The packages are small non-SAM ones (tests/helpers/plain_package.py); samzoo's own packages under the newest
release are tested in tests/builder/test_sample_tensors.py.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import yaml

from helpers.plain_package import write_plain_package
from samzoo.plumbing.errors import ArgumentError
from samzoo.validate.core_matrix.envs import cache_dir
from samzoo.validate.core_matrix.spec_release import NEWEST_SPEC, SpecCheckError, check_with_spec, spec_requirements


def test_requirements_cap_pydantic_only_for_releases_that_need_it():
    assert spec_requirements("0.5.12.0") == ("bioimageio.spec==0.5.12.0", "pydantic<2.14")
    assert spec_requirements(NEWEST_SPEC) == (f"bioimageio.spec=={NEWEST_SPEC}",)


@pytest.mark.parametrize("version, words", [("latest", "'latest' is not a release number"), ("0.4.10", "releases before 0.5")])
def test_a_bad_release_or_a_missing_package_is_an_argument_error(tmp_path, version, words):
    with pytest.raises(ArgumentError, match=words):
        check_with_spec(tmp_path, version)
    with pytest.raises(ArgumentError, match="no such file or folder"):
        check_with_spec(tmp_path / "missing.zip")
    assert not cache_dir().exists()  # refused before any environment is built


@pytest.fixture
def indexes(monkeypatch):
    monkeypatch.delenv("XDG_CONFIG_HOME")  # the machine's pip configuration (its package indexes) applies


@pytest.mark.slow
def test_warnings_and_a_broken_sample_tensor_one_line_each(tmp_path, indexes):
    pkg = write_plain_package(tmp_path / "plain")
    verdict = check_with_spec(pkg)
    assert (verdict.spec_version, verdict.status, verdict.errors, verdict.valid) == (NEWEST_SPEC, "valid-format", (), True)
    fair = [w for w in verdict.warnings if "FAIR" in w]
    assert {w.split(":")[0] for w in fair} >= {"inputs.0.sample_tensor", "outputs.0.sample_tensor"}

    # a sample tensor the spec reads but whose one squeezed dimension cannot be the input's (2 to 4 dimensions)
    from imageio.v3 import imwrite

    imwrite(pkg / "sample.png", np.arange(64, dtype=np.uint8)[None])
    rdf_path = next(p for p in pkg.iterdir() if p.name.endswith(".yaml"))
    rdf = yaml.safe_load(rdf_path.read_text())
    sha = hashlib.sha256((pkg / "sample.png").read_bytes()).hexdigest()
    rdf["inputs"][0]["sample_tensor"] = {"source": "sample.png", "sha256": sha}
    rdf_path.write_text(yaml.safe_dump(rdf))
    broken = check_with_spec(rdf_path)
    assert broken.status == "failed" and not broken.valid and all("\n" not in e for e in broken.errors)
    line = broken.errors[0]  # (then the outputs' size reference to the invalid input)
    assert line.startswith("inputs.0: ") and "Expected sample tensor to have 2 to 4 dimensions, but found 1" in line, line
    assert not any(w.startswith("inputs.0.sample_tensor") for w in broken.warnings)


@pytest.mark.slow
def test_an_environment_that_cannot_be_built_is_one_typed_line(tmp_path, indexes):
    pkg = write_plain_package(tmp_path / "plain")
    with pytest.raises(SpecCheckError) as info:
        check_with_spec(pkg, "0.5.999")
    msg = str(info.value)
    assert msg.startswith("bioimageio.spec 0.5.999: its environment could not be built") and "\n" not in msg
    assert info.value.exit_code == 1
    assert not [p for p in cache_dir().iterdir() if not p.name.startswith(".")]  # nothing half-built kept
