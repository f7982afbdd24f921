"""load_sam / load_predictor from every kind of name: catalog, local checkpoint, package folder and zip."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from samzoo.plumbing.errors import SamzooError
from samzoo.plumbing.hashing import HashMismatchError, file_hash
from samzoo.resolver import load_predictor, load_sam, resolve
from samzoo.catalog.writer import add_model


@pytest.fixture(scope="module")
def reference_state(vit_t_checkpoint) -> dict:
    return torch.load(vit_t_checkpoint, map_location="cpu", weights_only=True)


def same_weights(sam, state: dict) -> bool:
    own = sam.state_dict()
    return all(torch.equal(own[k], v) for k, v in state.items())


def make_package(folder: Path, checkpoint: Path, sha256: str | None = None, decoder: Path | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "vit_t.pt").write_bytes(checkpoint.read_bytes())
    rdf = {"format_version": "0.5.12", "type": "model", "id": "tiny-test", "name": "tiny test package",
           "weights": {"pytorch_state_dict": {"source": "vit_t.pt", "sha256": sha256 or file_hash(checkpoint, "sha256").split(":")[1]}}}
    if decoder is not None:
        (folder / "vit_t_decoder.pt").write_bytes(decoder.read_bytes())
        rdf["attachments"] = [{"source": "vit_t_decoder.pt", "sha256": file_hash(decoder, "sha256").split(":")[1]}]
    (folder / "rdf.yaml").write_text(yaml.safe_dump(rdf))
    return folder


def zip_folder(folder: Path) -> Path:
    out = folder.with_suffix(".zip")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.iterdir()):
            z.write(p, p.name)
    return out


def test_load_sam_by_catalog_name(tmp_path, monkeypatch, vit_t_checkpoint, reference_state):
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path / "catalog"))
    add_model("vit_t_local", encoder="vit_t", weights=str(vit_t_checkpoint))
    sam, res = load_sam("vit_t_local", return_resolved=True)
    assert type(sam).__module__.startswith("mobile_sam") and not sam.training
    assert same_weights(sam, reference_state) and res.origin == "download" and res.encoder == "vit_t"
    # warm: from the cache
    assert load_sam("vit_t_local", return_resolved=True)[1].origin == "cache"


def test_load_sam_rejects_weights_of_another_encoder(tmp_path, monkeypatch, vit_t_checkpoint):
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path / "catalog"))
    add_model("vit_b_mislabelled", encoder="vit_b", weights=str(vit_t_checkpoint))
    with pytest.raises(SamzooError, match="catalog says encoder vit_b but .* holds vit_t"):
        load_sam("vit_b_mislabelled")


def test_local_checkpoint_and_predictor_on_a_real_image(vit_t_checkpoint, reference_state):
    from segment_anything import SamPredictor
    from skimage.data import cell

    r = resolve(vit_t_checkpoint)
    assert (r.encoder, r.origin, r.verified, r.encoder_path) == ("vit_t", "local", False, vit_t_checkpoint.resolve())
    assert resolve(str(vit_t_checkpoint), hash=file_hash(vit_t_checkpoint, "xxh128")).verified
    with pytest.raises(HashMismatchError):
        resolve(vit_t_checkpoint, hash="sha256:" + "0" * 64)
    predictor = load_predictor(str(vit_t_checkpoint))
    assert isinstance(predictor, SamPredictor) and same_weights(predictor.model, reference_state)
    image = np.stack([cell()] * 3, axis=-1)
    predictor.set_image(image)
    masks, scores, _ = predictor.predict(point_coords=np.array([[300, 200]]), point_labels=np.array([1]))
    assert masks.shape == (3, *cell().shape) and scores.shape == (3,)


def test_top_level_resolve_is_the_resolver_function():
    """``samzoo.resolve(name)`` is :func:`samzoo.resolver.resolve` (a fresh interpreter: no submodule bound yet)."""
    code = "import samzoo; print(samzoo.resolve.__module__, samzoo.resolve.__name__, samzoo.load_sam.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["samzoo.resolver.by_name", "resolve", "samzoo.resolver.load"]


def test_package_folder_and_zip(tmp_path, vit_t_checkpoint, reference_state):
    decoder = tmp_path / "dec.pt"
    torch.save({"w": torch.ones(3)}, decoder)
    folder = make_package(tmp_path / "pkg", vit_t_checkpoint, decoder=decoder)
    r = resolve(folder)
    assert r.origin == "package" and r.verified and r.encoder == "vit_t" and r.model_type == "tiny-test"
    assert r.encoder_path == (folder / "vit_t.pt").resolve() and r.decoder_path == (folder / "vit_t_decoder.pt").resolve()
    zipped = zip_folder(folder)
    rz = resolve(zipped)
    assert rz.verified and rz.encoder_path.is_file() and "weights" in rz.encoder_path.parts
    assert file_hash(rz.encoder_path, "sha256") == file_hash(vit_t_checkpoint, "sha256")
    assert file_hash(rz.decoder_path, "sha256") == file_hash(decoder, "sha256")
    assert same_weights(load_sam(zipped), reference_state)
    assert resolve(zipped).encoder_path == rz.encoder_path  # second time from the cache


def test_package_with_wrong_sha256(tmp_path, vit_t_checkpoint):
    folder = make_package(tmp_path / "pkg", vit_t_checkpoint, sha256="0" * 64)
    with pytest.raises(HashMismatchError, match="expected sha256:0000"):
        resolve(folder)
    with pytest.raises(HashMismatchError):
        resolve(zip_folder(folder))
    assert not any(p.is_file() for p in (tmp_path / "samzoo-cache" / "weights").rglob("*"))


def test_not_a_package(tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(SamzooError, match="no rdf.yaml"):
        resolve(bad)
