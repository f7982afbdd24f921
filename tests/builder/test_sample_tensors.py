"""Sample tensors (builder/sample_tensors.py): files a person can look at, read back as bioimageio.spec reads them
(imageio, by extension), same bytes every time; every tensor of both package kinds has one, and bioimageio.spec
0.5.12 (samzoo's) and 0.5.14.3 (the newest, in its own environment) read the packages without a warning."""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest

from helpers.package_zip import read_npy, read_rdf
from samzoo.builder.sample_tensors import label_map, sample_file

RNG = np.random.default_rng(0)


def _read(ext: str, data: bytes) -> np.ndarray:
    """The array as bioimageio.spec's sample-tensor validator and ``load_image`` read it."""
    from imageio.v3 import imread

    return imread(data, extension=ext)


def _png_chunks(data: bytes) -> list[str]:
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        chunks.append(data[pos + 4:pos + 8].decode("ascii"))
        pos += 12 + length
    return chunks


@pytest.mark.parametrize("view, array", [
    ("image", RNG.integers(0, 256, (1, 3, 40, 56), dtype=np.uint8)),
    ("values", RNG.integers(-5, 900, (1, 2, 4), dtype=np.int64)),
    ("values", RNG.standard_normal((1, 256, 8, 8)).astype(np.float32)),
    ("values", np.array([[[0.25]]], np.float32)),  # one score: a 0-d sample once squeezed
])
def test_images_and_values_read_back_exactly_and_deterministically(view, array):
    ext, data = sample_file(view, array)
    assert sample_file(view, array) == (ext, data)
    back = _read(ext, data)
    if view == "image":
        assert ext == ".png" and back.shape == (40, 56, 3) and np.array_equal(back, array[0].transpose(1, 2, 0))
        assert _png_chunks(data) == ["IHDR", "IDAT", "IEND"]  # no time, text or other metadata
    else:
        assert ext == ".tif" and back.dtype == array.dtype and back.shape == array.shape and np.array_equal(back, array)
        import tifffile

        with tifffile.TiffFile(io.BytesIO(data)) as tif:
            assert "DateTime" not in tif.pages[0].tags  # no time of writing


@pytest.mark.parametrize("top, ext, dtype", [(200, ".png", np.uint8), (300, ".png", np.uint16), (70_000, ".tif", np.uint32)])
def test_labels_take_the_smallest_file_that_holds_them(top, ext, dtype):
    labels = np.zeros((1, 1, 300, 300), np.int32)
    labels.reshape(-1)[:top] = np.arange(1, top + 1)
    got_ext, data = sample_file("labels", labels)
    back = _read(got_ext, data)
    assert (got_ext, back.dtype, back.shape) == (ext, dtype, (300, 300)) and np.array_equal(back, labels[0, 0])


def test_masks_become_one_label_map_where_the_later_object_wins():
    masks = np.zeros((1, 2, 1, 6, 6), np.uint8)
    masks[0, 0, 0, :4, :4] = 1
    masks[0, 1, 0, 2:, 2:] = 1
    expected = np.zeros((6, 6), np.uint8)
    expected[:4, :4] = 1
    expected[2:, 2:] = 2
    assert np.array_equal(label_map(masks), expected)
    ext, data = sample_file("masks", masks)
    assert ext == ".png" and np.array_equal(_read(ext, data), expected)


def _samples(pkg) -> dict[str, str]:
    rdf = read_rdf(pkg)
    return {f"{kind}.{t['id']}": t["sample_tensor"]["source"] for kind in ("inputs", "outputs") for t in rdf[kind]}


def test_interactive_package_has_a_sample_for_every_tensor_and_inputs_load_as_their_test_tensors(vit_t_package):
    """bioimageio.core (``predict --example`` feeds the inputs' samples) loads each input sample into the declared axes."""
    from bioimageio.core.io import load_tensor
    from bioimageio.spec import load_description
    from bioimageio.spec.utils import load_array

    pkg = vit_t_package.path
    assert _samples(pkg) == {
        "inputs.image": "sample_input_image.png", "inputs.box_prompts": "sample_input_box_prompts.tif",
        "inputs.point_prompts": "sample_input_point_prompts.tif", "inputs.point_labels": "sample_input_point_labels.tif",
        "inputs.mask_prompts": "sample_input_mask_prompts.tif", "inputs.embeddings": "sample_embeddings.tif",
        "outputs.masks": "sample_output_masks.png", "outputs.scores": "sample_output_scores.tif",
        "outputs.embeddings": "sample_embeddings.tif"}
    descr = load_description(pkg, perform_io_checks=True)  # samzoo's bioimageio.spec reads every sample tensor
    summary = descr.validation_summary
    assert summary.status == "valid-format", summary.format()
    assert [w.loc for d in summary.details for w in d.warnings] == []
    for t in descr.inputs:
        sample, test = load_tensor(t.sample_tensor.source, axes=t.axes), load_array(t.test_tensor)
        assert sample.dtype == test.dtype and sample.shape == test.shape and np.array_equal(sample.data.values, test), t.id
    with zipfile.ZipFile(pkg) as zf:
        masks = _read(".png", zf.read("sample_output_masks.png"))
    assert np.array_equal(masks, label_map(read_npy(pkg, "test_output_masks.npy")))


@pytest.mark.slow
def test_automatic_package_has_a_sample_for_every_tensor(ais_package):
    assert _samples(ais_package) == {"inputs.image": "sample_input_image.png", "outputs.labels": "sample_output_labels.png"}
    with zipfile.ZipFile(ais_package) as zf:
        labels, image = _read(".png", zf.read("sample_output_labels.png")), _read(".png", zf.read("sample_input_image.png"))
    assert np.array_equal(labels, read_npy(ais_package, "test_output_labels.npy")[0, 0])
    assert np.array_equal(image, read_npy(ais_package, "test_input_image.npy")[0].transpose(1, 2, 0))


@pytest.mark.slow
@pytest.mark.parametrize("which", ["interactive", "automatic"])
def test_the_newest_spec_reads_both_kinds_without_a_warning(which, vit_t_package, ais_package, monkeypatch):
    """bioimageio.spec 0.5.14.3 in its own environment: no error, and none of its FAIR warnings (one per tensor
    without a sample tensor before)."""
    from samzoo.validate.core_matrix.spec_release import NEWEST_SPEC, check_with_spec

    monkeypatch.delenv("XDG_CONFIG_HOME")  # the machine's pip configuration (its package indexes) applies
    verdict = check_with_spec(vit_t_package.path if which == "interactive" else ais_package)
    assert (verdict.spec_version, verdict.status, verdict.errors, verdict.warnings) == (NEWEST_SPEC, "valid-format", (), ())
