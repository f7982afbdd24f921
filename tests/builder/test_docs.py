"""documentation.md (builder/docs.py): user models are not called published."""

from __future__ import annotations

import re
import zipfile

import pytest

import samzoo
from helpers.cli import run_cli
from samzoo.builder.docs import documentation
from samzoo.builder.interactive_rdf import EMBEDDINGS_ATOL
from samzoo.catalog import add_model, load_catalog, record_zoo_id
from samzoo.plumbing.errors import UnknownModelError


@pytest.fixture
def user_model(tmp_path, monkeypatch, vit_t_checkpoint):
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path / "catalog"))
    add_model("vit_t_mylab", encoder="vit_t", weights=str(vit_t_checkpoint), domain="light_microscopy")
    return load_catalog()


def test_user_model_documentation_makes_no_family_claims(user_model):
    spec = user_model.models["vit_t_mylab"]
    doc = documentation(spec, user_model, "1", test_source="cell.png", n_objects=2, has_decoder=False)
    assert "user model" in doc and "not one of the published" in doc
    assert "model of the Segment Anything for Microscopy family" not in doc and "model_type=" not in doc
    assert 'samzoo.load_predictor("path/to/vit_t_mylab-1.zip")' in doc  # by the package: the name is the author's only
    rules = doc.split("## How to choose a model")[1].split("##")[0]
    assert "vit_b_lm" in rules and "vit_b_em_organelles" not in rules and "histopathology" not in rules.lower()
    published = documentation(user_model.models["vit_b_em_organelles"], user_model, "1.2", test_source="coins.png", n_objects=2,
                              has_decoder=False)
    assert 'model_type="vit_b_em_organelles"' in published and "vit_b_lm" not in published.split("## How to choose")[1].split("##")[0]


@pytest.fixture(scope="module")
def built_user_package(tmp_path_factory, vit_t_checkpoint):
    """vit_t_mylab, registered and built as the README's publish quickstart does (CLI); the user catalog is then gone."""
    work = tmp_path_factory.mktemp("quickstart")
    env = {"SAMZOO_CATALOG": str(work / "catalog")}
    added = run_cli("catalog", "add", "vit_t_mylab", "--weights", str(vit_t_checkpoint), "--author", "Jane Doe",
                    "--domain", "light_microscopy", env=env)
    assert added.returncode == 0, added.stderr
    built = run_cli("build", "vit_t_mylab", "--checkpoint", str(vit_t_checkpoint), "-o", str(work / "release") + "/", env=env)
    assert built.returncode == 0, built.stderr
    (package,) = (work / "release").glob("*.zip")
    return package


def _doc(package) -> str:
    with zipfile.ZipFile(package) as z:
        return z.read("documentation.md").decode()


def test_the_usage_snippet_loads_the_package_where_the_catalog_entry_is_not(built_user_package):
    # a reader of the zoo page has the package, not the author's catalog (this test's catalog is empty)
    (name,) = re.findall(r'samzoo\.load_predictor\("([^"]+)"\)', _doc(built_user_package))
    assert name == f"path/to/{built_user_package.name}", name
    with pytest.raises(UnknownModelError):
        samzoo.resolve("vit_t_mylab")
    res = samzoo.resolve(name.replace("path/to", str(built_user_package.parent)))
    assert res.origin == "package" and res.encoder == "vit_t"


def test_a_model_with_a_zoo_id_is_loaded_by_it(user_model, tmp_path):
    record_zoo_id("vit_t_mylab", "affable-otter")
    spec = load_catalog().models["vit_t_mylab"]
    doc = documentation(spec, user_model, "2", test_source="cell.png", n_objects=2, has_decoder=False)
    assert 'samzoo.load_predictor("affable-otter")' in doc and "path/to" not in doc


def test_the_tolerances_the_docs_state_are_the_rdf_s(built_user_package):
    import yaml

    doc = _doc(built_user_package)
    with zipfile.ZipFile(built_user_package) as z:
        tolerances = yaml.safe_load(z.read("rdf.yaml"))["config"]["bioimageio"]["reproducibility_tolerance"]
    (emb,) = [t for t in tolerances if t["output_ids"] == ["embeddings"]]
    assert "exactly" not in doc
    assert emb["absolute_tolerance"] <= EMBEDDINGS_ATOL  # the docs give the bound (the rdf's may be smaller)
    assert (f"`embeddings` to a relative {emb['relative_tolerance']:g} (absolute at most {EMBEDDINGS_ATOL:g}) "
            f"with at most\n{emb['mismatched_elements_per_million']} mismatched elements per million") in doc


def test_resolving_the_package_gives_its_model_type(built_user_package):
    res = samzoo.resolve(built_user_package)
    assert (res.model_type, res.name) == ("vit_t_mylab", "vit_t_mylab")  # not the display name "vit_t_mylab (user model)"
