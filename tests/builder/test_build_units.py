"""Builder pieces that need no SAM forward pass: versions, test data, zip writer, low-memory attention, RDF."""

from __future__ import annotations

import ast
import hashlib
import zipfile

import numpy as np
import pytest
import torch

from samzoo.architectures import SAM_ADAPTOR as ADAPTOR
from samzoo.builder import rdf, test_data, versioning, zipwrite
from samzoo.builder.lowmem import low_memory_attention
from samzoo.catalog import load_catalog
from samzoo.plumbing.errors import ArgumentError, SamzooError
from samzoo.plumbing.hashing import file_digest


# --- versions ----------------------------------------------------------------------------

@pytest.mark.parametrize("published, expected", [([], "1"), (["1"], "1.1"), (["1", "1.1", "1.2"], "1.3"), (["1.9", "1.10"], "1.11")])
def test_next_version(published, expected):
    assert versioning.next_version(published) == expected


def _hash_of(value):
    return lambda alg: f"{alg}:{value}"


def test_published_weights_give_the_published_zoo_version():
    ref = load_catalog().lookup("vit_b_lm")
    published = ref.spec.current.weights.encoder.hash.split(":")[1]
    d = versioning.decide_version(ref, _hash_of(published))
    assert (d.version, d.rebuild, d.matched.version) == ("1.2", True, "v4")


def test_other_weights_are_the_next_release():
    ref = load_catalog().lookup("noisy-ox")
    d = versioning.decide_version(ref, _hash_of("0" * 32))
    assert (d.version, d.rebuild) == ("1.3", False)
    assert "1.3" in d.message and "1.2" in d.message


def test_explicit_version_and_refusal_of_a_published_one():
    ref = load_catalog().lookup("vit_b_lm")
    assert versioning.decide_version(ref, _hash_of("0" * 32), "2.0").version == "2.0"
    with pytest.raises(ArgumentError, match="already published.*unless forced.*1.3") as refused:
        versioning.decide_version(ref, _hash_of("0" * 32), "1.1")
    assert refused.value.argument == "version" and "--" not in str(refused.value)  # Python terms, no CLI flags
    forced = versioning.decide_version(ref, _hash_of("0" * 32), "1.1", force=True)
    assert forced.version == "1.1" and not forced.rebuild and "--" not in forced.message
    with pytest.raises(ArgumentError, match="dotted number") as bad:
        versioning.decide_version(ref, _hash_of("0" * 32), "v2")
    assert bad.value.argument == "version" and "--" not in str(bad.value)


def test_rebuild_of_weights_a_user_catalog_publishes(tmp_path, monkeypatch, vit_t_checkpoint):
    """The checkpoint file's real xxh128 equals a catalog hash: the build is that zoo version."""
    from samzoo.plumbing.hashing import file_hash

    digest = file_hash(vit_t_checkpoint, "xxh128")
    (tmp_path / "vit_t_mine.yaml").write_text(f"""
model_type: vit_t_mine
encoder: vit_t
domain: light_microscopy
display_name: My tiny model
nickname: brave-mole
emoji: "🐀"
description: A test model.
citations: [micro_sam]
current_version: v2
versions:
  - version: v2
    zoo_version: "3.1"
    weights: {{encoder: {{url: "https://example.org/vit_t.pt", hash: "{digest}"}}}}
  - version: v1
    zoo_version: "3"
""")
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path))
    ref = load_catalog().lookup("brave-mole/3")  # any version of the name: the weights decide
    d = versioning.decide_version(ref, lambda alg: file_hash(vit_t_checkpoint, alg))
    assert (d.version, d.rebuild, d.matched.version) == ("3.1", True, "v2")
    with pytest.raises(SamzooError, match="already published"):
        versioning.decide_version(ref, lambda alg: file_hash(vit_t_checkpoint, alg), "3")
    assert versioning.decide_version(ref, lambda alg: f"{alg}:{'0' * 32}").version == "3.2"


def test_model_without_zoo_version_starts_at_1():
    ref = load_catalog().lookup("vit_b_histopathology")
    assert versioning.decide_version(ref, _hash_of("0" * 32)).version == "1"


# --- test data -------------------------------------------------------------------------------

@pytest.mark.parametrize("domain", ["light_microscopy", "electron_microscopy", "histopathology", "medical_imaging", "natural"])
def test_domain_test_inputs(domain):
    t = test_data.load_test_inputs(domain)
    c = t.image.shape[2]
    n = len(t.object_ids)
    assert c == 3 and t.image.dtype == np.uint8 and 1 <= n <= 2
    assert t.box_prompts.shape == (1, n, 4) and t.box_prompts.dtype == np.int64
    assert t.point_prompts.shape == (1, n, 3, 2) and t.point_labels.shape == (1, n, 3)
    assert t.mask_prompts.shape == (1, n, 1, 256, 256) and t.mask_prompts.dtype == np.float32
    for i, obj in enumerate(t.object_ids):
        x, y = t.point_prompts[0, i, 0]
        assert t.labels[y, x] == obj  # the positive point is inside its object
        x0, y0, x1, y1 = t.box_prompts[0, i]
        ys, xs = np.nonzero(t.labels == obj)
        assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max(), ys.max())
        for (px, py), lab in zip(t.point_prompts[0, i, 1:], t.point_labels[0, i, 1:], strict=True):
            assert lab == -1 or t.labels[py, px] == 0  # negatives lie on background


def test_user_image_and_labels(tmp_path):
    import imageio.v3 as iio
    import skimage.data

    image = skimage.data.coins()  # 303 x 384, not square
    labels = np.zeros(image.shape, np.uint16)
    labels[50:90, 60:120] = 7
    labels[200:260, 300:330] = 3
    iio.imwrite(tmp_path / "img.png", image)
    iio.imwrite(tmp_path / "lab.tif", labels)
    t = test_data.load_test_inputs("natural", tmp_path / "img.png", tmp_path / "lab.tif")
    assert t.image.shape == (303, 384, 3)
    assert t.object_ids == (7, 3)  # largest first
    assert t.box_prompts[0].tolist() == [[60, 50, 119, 89], [300, 200, 329, 259]]


@pytest.mark.parametrize("array, match", [
    (np.zeros((4, 30, 30), np.uint8), "2D greyscale"),
    (np.zeros((30,), np.uint8), "2D greyscale"),
])
def test_bad_images(array, match):
    with pytest.raises(SamzooError, match=match):
        test_data.to_rgb_uint8(array)


def test_bad_labels():
    image = np.zeros((20, 20, 3), np.uint8)
    with pytest.raises(SamzooError, match="no objects"):
        test_data.check_labels(np.zeros((20, 20), np.int32), image)
    with pytest.raises(SamzooError, match="20 x 20"):
        test_data.check_labels(np.ones((10, 20), np.int32), image)
    with pytest.raises(SamzooError, match="integer"):
        test_data.check_labels(np.ones((20, 20), np.float32), image)


def test_bad_test_data_names_the_python_argument(tmp_path):
    """Errors about the test data are ArgumentErrors of ``image``/``labels`` and never mention CLI flags."""
    np.save(tmp_path / "img.npy", np.zeros((4, 30, 30), np.uint8))
    np.save(tmp_path / "grey.npy", (np.arange(64 * 64) % 251).reshape(64, 64).astype(np.uint8))
    np.save(tmp_path / "empty.npy", np.zeros((64, 64), np.int32))
    cases = [
        (("natural", None, tmp_path / "empty.npy"), "labels", "without an image"),
        (("natural", tmp_path / "nope.png"), "image", "does not exist"),
        (("natural", tmp_path / "img.npy"), "image", "2D greyscale"),
        (("natural", tmp_path / "grey.npy", tmp_path / "nope.png"), "labels", "does not exist"),
        (("natural", tmp_path / "grey.npy", tmp_path / "empty.npy"), "labels", "no objects"),
    ]
    for args, argument, words in cases:
        with pytest.raises(ArgumentError, match=words) as e:
            test_data.load_test_inputs(*args)
        assert e.value.argument == argument and "--" not in str(e.value), (args, str(e.value))


def test_non_uint8_images_are_rescaled():
    img = np.linspace(0, 4000, 64 * 64, dtype=np.float64).reshape(64, 64).astype(np.uint16)
    out = test_data.to_rgb_uint8(img)
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8 and out.min() == 0 and out.max() == 255


# --- zip writer ------------------------------------------------------------------------------

def test_zip_is_byte_reproducible_and_stored(tmp_path):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "z.bin").write_bytes(bytes(range(256)) * 1000)
        (tmp_path / d / "a.txt").write_text("hello")
    zipwrite.write_zip(tmp_path / "1.zip", [(p.name, p) for p in (tmp_path / "a").iterdir()])
    zipwrite.write_zip(tmp_path / "2.zip", [(p.name, p) for p in sorted((tmp_path / "b").iterdir(), reverse=True)])
    assert (tmp_path / "1.zip").read_bytes() == (tmp_path / "2.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "1.zip") as zf:
        assert zf.namelist() == ["a.txt", "z.bin"]
        assert all(i.compress_type == zipfile.ZIP_STORED and i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())
        assert zf.read("z.bin") == bytes(range(256)) * 1000
    assert file_digest(tmp_path / "1.zip") == hashlib.sha256((tmp_path / "1.zip").read_bytes()).hexdigest()


# --- low-memory attention -----------------------------------------------------------------------

def test_low_memory_attention_matches_segment_anything():
    from segment_anything.modeling.image_encoder import Attention

    torch.manual_seed(0)
    attn = Attention(dim=32, num_heads=16, use_rel_pos=True, input_size=(48, 48)).eval()
    torch.nn.init.normal_(attn.rel_pos_h)
    torch.nn.init.normal_(attn.rel_pos_w)
    x = torch.randn(1, 48, 48, 32)  # 2304 tokens x 16 heads: 3 head groups in the chunked path
    with torch.no_grad():
        expected = attn(x)
        with low_memory_attention(attn):
            got = attn(x)
        restored = attn(x)
    assert torch.equal(got, expected)  # same operations in the same order: bit for bit
    assert "forward" not in attn.__dict__ and torch.equal(restored, expected)
    windowed = Attention(dim=32, num_heads=4, use_rel_pos=True, input_size=(14, 14)).eval()
    torch.nn.init.normal_(windowed.rel_pos_h)
    xw = torch.randn(25, 14, 14, 32)  # a batch of 14 x 14 windows, as in the windowed blocks
    with torch.no_grad():
        expected = windowed(xw)
        with low_memory_attention(windowed):
            assert torch.equal(windowed(xw), expected)


# --- architecture file and rdf ---------------------------------------------------------------------

def test_architecture_file_imports_only_torch_and_sam():
    tree = ast.parse(ADAPTOR.read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative imports break when bioimageio imports the file alone"
            modules.add(node.module.split(".")[0])
    assert modules <= {"torch", "segment_anything", "mobile_sam", "typing", "warnings"}
    # segment_anything's ResizeLongestSide differs between segment-anything and segment-anything-py
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not used & {"ResizeLongestSide", "apply_image_torch", "transform", "SamPredictor"}


def test_tolerances_follow_bioimageio_limits():
    tol = {t["output_ids"][0]: t for t in rdf.reproducibility_tolerance(0.005)}
    # embeddings: computed by the validator's encoder check on another machine, so not exact, but tight
    assert tol["embeddings"]["relative_tolerance"] <= 1e-3 and tol["embeddings"]["mismatched_elements_per_million"] <= 100
    assert 0 < tol["embeddings"]["absolute_tolerance"] <= 1e-4
    small = {t["output_ids"][0]: t for t in rdf.reproducibility_tolerance(0.005, embeddings_max=0.002)}
    assert small["embeddings"]["absolute_tolerance"] <= 0.01 * 0.002  # capped at 1% of the largest value
    assert 0 < tol["scores"]["absolute_tolerance"] <= 0.01 * 0.005
    assert rdf.reproducibility_tolerance(-0.2)[1]["absolute_tolerance"] == 0.0
    assert tol["masks"]["mismatched_elements_per_million"] <= 5000


def test_environment_lists_what_the_architecture_needs():
    assert "segment-anything" in rdf.environment_yaml("vit_b") and "mobile" not in rdf.environment_yaml("vit_b")
    env_t = rdf.environment_yaml("vit_t")
    assert "mobilesam-mirror" in env_t and "timm" in env_t and "segment-anything" not in env_t


def test_cover_is_square_png_under_500_kb_even_for_noise():
    import io

    from PIL import Image

    from samzoo.builder.cover import cover_png

    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (700, 500, 3), dtype=np.uint8)  # incompressible, not square
    masks = rng.integers(0, 2, (2, 700, 500)).astype(np.uint8)
    png = cover_png(image, masks, np.array([[[10, 10, 100, 100], [200, 200, 300, 300]]]))
    picture = Image.open(io.BytesIO(png))
    assert len(png) < 500_000 and picture.format == "PNG" and picture.size[0] == picture.size[1] <= 512
    assert png == cover_png(image, masks, np.array([[[10, 10, 100, 100], [200, 200, 300, 300]]]))  # deterministic
