"""The interactive package (builder/interactive.py) end to end on random vit_t weights: contents, bioimageio test,
the shipped architecture, reproducibility."""

from __future__ import annotations

import ast
import json
import zipfile

import numpy as np
import pytest
import torch

from helpers.cli import run_cli
from helpers.package_zip import bioimageio_test, read_npy, read_rdf, summary_errors
from samzoo.architectures import SAM_ADAPTOR as ADAPTOR
from samzoo.catalog import load_catalog


@pytest.mark.slow
def test_package_passesbioimageio_test(vit_t_package, tmp_path):
    summary = bioimageio_test(vit_t_package.path, tmp_path)
    assert summary["status"] == "passed", summary_errors(summary)


def test_package_description(vit_t_package):
    r = vit_t_package
    assert (r.model_type, r.encoder, r.version, r.rebuild, r.zoo_id) == ("vit_t_lm", "vit_t", "1.2", False, "faithful-chicken/1.2")
    d = read_rdf(r.path)
    assert d["format_version"] == "0.5.4" and d["type"] == "model"
    spec = load_catalog().lookup("vit_t_lm").spec
    assert (d["id"], d["id_emoji"], d["version"]) == ("faithful-chicken", spec.emoji, "1.2")
    assert (d["name"], d["description"], d["license"]) == (spec.display_name, spec.description, spec.license)
    assert [t["id"] for t in d["inputs"]] == ["image", "box_prompts", "point_prompts", "point_labels", "mask_prompts", "embeddings"]
    assert [t["id"] for t in d["outputs"]] == ["masks", "scores", "embeddings"]
    dtypes = {t["id"]: t["data"]["type"] for t in d["inputs"]}
    assert dtypes == {"image": "uint8", "box_prompts": "int64", "point_prompts": "int64", "point_labels": "int64",
                      "mask_prompts": "float32", "embeddings": "float32"}
    assert [t["data"]["type"] for t in d["outputs"]] == ["uint8", "float32", "float32"]
    assert all(t["axes"][0] == {"type": "batch", "size": 1} for t in d["inputs"] + d["outputs"])
    assert all(t.get("optional") for t in d["inputs"][1:]) and not d["inputs"][0].get("optional")
    w = d["weights"]["pytorch_state_dict"]
    assert w["source"] == "vit_t.pt" and w["architecture"]["kwargs"] == {"model_type": "vit_t"}
    assert d["config"]["samzoo"]["model_type"] == "vit_t_lm" and d["config"]["samzoo"]["source_checkpoint_xxh128"]
    tols = d["config"]["bioimageio"]["reproducibility_tolerance"]
    assert [t["output_ids"] for t in tols] == [["embeddings"], ["scores"], ["masks"]]
    assert {c["text"] for c in d["cite"]} >= {"Archit et al. Segment Anything for Microscopy. Nature Methods 2024."}
    assert d["tags"] == list(spec.tags) and d["git_repo"] == spec.git_repo
    assert [a["name"] for a in d["authors"]] == [p.name for p in spec.authors]


def test_package_files(vit_t_package, vit_t_checkpoint):
    from PIL import Image

    r = vit_t_package
    with zipfile.ZipFile(r.path) as zf:
        names = zf.namelist()
        tensors = sum(zf.getinfo(n).file_size for n in names if n.startswith(("test_", "sample_")))
        test_tensors = sum(zf.getinfo(n).file_size for n in names if n.startswith("test_"))
        # besides the weights: the test tensors, their sample tensors (embeddings: 4 MiB of exact float32 each) and small files
        assert tensors <= 2.1 * test_tensors and r.size - r.weights_size - tensors < 700_000  # cover <= 500 kB
        assert names == sorted(names) and "vit_t_decoder.pt" not in names
        cover = Image.open(zf.open("cover.png"))
        assert zf.getinfo("cover.png").file_size < 500_000 and cover.size[0] == cover.size[1]
        doc = zf.read("documentation.md").decode()
        weights = torch.load(zf.open("vit_t.pt"), weights_only=True)
    for section in ("## How to choose a model", "## Inputs and outputs", "## Validation", "## Citation"):
        assert section in doc
    rules = doc.split("## How to choose a model")[1].split("##")[0]
    assert "vit_b_lm" in rules and "vit_l_em_organelles" not in rules  # the catalog's rules for this model's domain
    original = torch.load(vit_t_checkpoint, weights_only=True)
    assert weights.keys() == original.keys() and all(torch.equal(weights[k], original[k]) for k in original)
    masks, image = read_npy(r.path, "test_output_masks.npy"), read_npy(r.path, "test_input_image.npy")
    assert masks.shape[-2:] == image.shape[-2:] and masks.dtype == np.uint8 and set(np.unique(masks)) <= {0, 1}


def test_architecture_reproduces_test_outputs_without_embeddings(vit_t_package, tmp_path):
    """The shipped architecture file, imported alone, computes the embeddings from the image itself."""
    import importlib.util

    with zipfile.ZipFile(vit_t_package.path) as zf:
        zf.extract("sam_adaptor.py", tmp_path)
        state = torch.load(zf.open("vit_t.pt"), weights_only=True)
    spec = importlib.util.spec_from_file_location("copied_adaptor", tmp_path / "sam_adaptor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.SamAdaptor("vit_t")
    model.load_state_dict(state)
    model.eval()
    t = {n: torch.from_numpy(read_npy(vit_t_package.path, f"test_input_{n}.npy"))
         for n in ("image", "box_prompts", "point_prompts", "point_labels", "mask_prompts")}
    masks, scores, emb = model(**t)
    assert torch.allclose(emb, torch.from_numpy(read_npy(vit_t_package.path, "test_embeddings.npy")), atol=1e-4)
    assert torch.allclose(scores, torch.from_numpy(read_npy(vit_t_package.path, "test_output_scores.npy")), atol=1e-4)
    expected = read_npy(vit_t_package.path, "test_output_masks.npy")
    assert (masks.numpy() != expected).mean() < 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("threads", ["1", "3"])
def test_same_checkpoint_gives_the_same_bytes(vit_t_package, vit_t_checkpoint, tmp_path, threads):
    """A second build, later, from another folder, with another thread count, through the CLI: identical sha256.

    3 threads: an odd count splits ATen's elementwise kernels at other places than 2 (GELU's scalar tail
    rounds differently), which changed the embeddings' bits on AVX2 machines before the thread count of
    the test outputs was fixed; 1 vs 2 threads changed them on AVX-512 machines.
    """
    import torch

    assert torch.get_num_threads() != int(threads), "the fixture package must be built with another thread count"
    (tmp_path / "out").mkdir()
    if threads == "3":  # the same bytes already at the output path: not a refusal, the file stays as it was
        (tmp_path / "out" / "faithful-chicken-1.2.zip").write_bytes(vit_t_package.path.read_bytes())
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint), "-o", "out", "--json", cwd=tmp_path,
                   env={"OMP_NUM_THREADS": threads})
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["sha256"] == vit_t_package.sha256
    assert result["path"] == str(tmp_path / "out" / "faithful-chicken-1.2.zip")  # a folder gets the default name
    assert (tmp_path / "out" / "faithful-chicken-1.2.zip").read_bytes() == vit_t_package.path.read_bytes()
    assert "new release" in proc.stderr and "1.2" in proc.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["faithful-chicken-1.2.zip"]  # no temporary files left


@pytest.mark.slow
def test_finetuning_checkpoint_with_decoder_and_user_image(vit_t_checkpoint, tmp_path):
    """model_state with 'sam.' prefixes + decoder_state + training state; a non-square user image and labels."""
    import imageio.v3 as iio
    import skimage.data

    state = torch.load(vit_t_checkpoint, weights_only=True)
    decoder = {"encoder.weight": torch.ones(4, 4), "out.bias": torch.zeros(2)}
    torch.save({"model_state": {f"sam.{k}": v for k, v in state.items()}, "decoder_state": decoder,
                "epoch": 3, "optimizer_state": {"lr": torch.tensor(1e-4)}}, tmp_path / "finetuned.pt")
    image = skimage.data.coins()
    labels = np.zeros(image.shape, np.uint8)
    labels[70:130, 40:100] = 1
    iio.imwrite(tmp_path / "img.png", image)
    iio.imwrite(tmp_path / "lab.png", labels)
    proc = run_cli("build", "greedy-whale", "--checkpoint", str(tmp_path / "finetuned.pt"), "--image", str(tmp_path / "img.png"),
                   "--labels", str(tmp_path / "lab.png"), "--version", "2", "--mode", "interactive",
                   "-o", str(tmp_path / "whale.zip"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "sha256" in proc.stdout
    pkg = tmp_path / "whale.zip"
    d = read_rdf(pkg)
    assert d["version"] == "2" and d["attachments"] == [{"source": "vit_t_decoder.pt", "sha256": d["attachments"][0]["sha256"]}]
    with zipfile.ZipFile(pkg) as zf:
        saved_decoder = torch.load(zf.open("vit_t_decoder.pt"), weights_only=True)
        weights = torch.load(zf.open("vit_t.pt"), weights_only=True)
    assert saved_decoder.keys() == decoder.keys() and not any(k.startswith("sam.") for k in weights)
    assert read_npy(pkg, "test_input_image.npy").shape == (1, 3, 303, 384)
    summary = bioimageio_test(pkg, tmp_path)
    assert summary["status"] == "passed", summary_errors(summary)


def test_package_ships_the_library_architecture_file(vit_t_package):
    """The architecture file in the package is samzoo.architectures' own file, byte for byte."""
    from samzoo.architectures import SAM_ADAPTOR

    with zipfile.ZipFile(vit_t_package.path) as zf:
        assert zf.read("sam_adaptor.py") == SAM_ADAPTOR.read_bytes()


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
