"""Automatic instance segmentation: the decoder architecture, the post-processing, and micro-sam's labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from samzoo.builder.ais_model import (
    DECODER_TENSORS, DEFAULT_PARAMS, adjusted_rand_index, ais_params, build_ais, check_decoder_state,
    decoder_only, random_ais_checkpoint,
)
from samzoo.architectures import sam_ais
from samzoo.plumbing.errors import ArgumentError, SamzooError

REFERENCE = Path(__file__).parents[1] / "data" / "ais_reference_vit_t_seed0.npz"


# --- decoder: micro-sam's decoder_state keys, both variants -----------------------------------------

@pytest.mark.parametrize("transposed", [False, True])
def test_decoder_state_has_micro_sams_keys(transposed):
    state = sam_ais.AISDecoder(transposed=transposed).state_dict()
    assert len(state) == DECODER_TENSORS
    prefixes = {k.split(".")[0] for k in state}
    assert prefixes == {"base", "decoder", "deconv1", "deconv2", "deconv3", "deconv4", "deconv_out", "decoder_head", "out_conv"}
    # micro-sam tells the variants apart by '.block.' under decoder.samplers
    assert sam_ais.is_transposed(state) is transposed
    assert check_decoder_state(state, "d") is transposed
    if not transposed:  # the v4 decoder of vit_t: ~9.6 M values (measured on micro-sam's get_unetr: 9,593,159)
        assert sum(v.numel() for v in state.values()) == 9_593_159
        assert "decoder.samplers.0.conv.weight" in state and "deconv1.block.2.running_mean" in state


def test_bad_decoder_states_are_refused():
    good = sam_ais.AISDecoder().state_dict()
    with pytest.raises(SamzooError, match=r"unexpected key .head\.weight."):
        check_decoder_state({**good, "head.weight": torch.zeros(1)}, "d.pt")
    # a full UNETR state also holds its SAM encoder; micro-sam ignores it, and so does samzoo
    assert decoder_only({**good, "encoder.patch_embed.weight": torch.zeros(1)}).keys() == good.keys()
    with pytest.raises(SamzooError, match=r"misses 1 tensors"):
        check_decoder_state({k: v for k, v in good.items() if k != "out_conv.bias"}, "d.pt")
    with pytest.raises(SamzooError, match=r"out_conv\.weight has shape"):
        check_decoder_state({**good, "out_conv.weight": torch.zeros(2, 64, 1, 1)}, "d.pt")


@pytest.mark.parametrize("transposed", [False, True])
def test_decoder_maps_have_the_image_size(transposed):
    torch.manual_seed(0)
    decoder = sam_ais.AISDecoder(transposed=transposed).eval()
    with torch.no_grad():
        maps = decoder(torch.randn(1, 256, 16, 16), (1024, 768), (300, 225))  # small: 256 x 256 inside
    assert maps.shape == (1, 3, 300, 225)
    assert float(maps.min()) >= 0 and float(maps.max()) <= 1  # sigmoid


def test_batch_norm_uses_the_images_statistics_like_micro_sams_library():
    """micro-sam never calls eval() on its decoder: BatchNorm normalises with each image's own statistics."""
    torch.manual_seed(0)
    decoder = sam_ais.AISDecoder()
    for m in decoder.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.fill_(5.0)
    x = torch.randn(1, 256, 16, 16)
    with torch.no_grad():
        per_image = decoder(x, (256, 256), (256, 256))
        decoder.set_batch_norm("running")
        running = decoder(x, (256, 256), (256, 256))
    assert not torch.allclose(per_image, running)
    y = torch.randn(1, 512, 8, 8)
    bn = torch.nn.BatchNorm2d(512).train()  # micro-sam's layer, left in training mode
    torch.nn.init.uniform_(bn.weight)
    ours = sam_ais.ImageBatchNorm(512).eval()
    ours.load_state_dict(bn.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(ours(y), bn(y), rtol=0, atol=0)
    assert torch.equal(ours.running_mean, torch.zeros(512))  # ours never updates the stored statistics


# --- post-processing -------------------------------------------------------------------------------

def test_canonical_labels_number_objects_by_their_first_pixel():
    seg = np.array([[0, 7, 7, 0], [3, 3, 0, 9], [0, 0, 0, 9]], dtype=np.uint64)
    out = sam_ais.canonical_labels(seg)
    assert out.dtype == np.int32
    assert out.tolist() == [[0, 1, 1, 0], [2, 2, 0, 3], [0, 0, 0, 3]]
    assert sam_ais.canonical_labels(np.zeros((3, 3), np.uint32)).max() == 0


def test_watershed_separates_two_blobs():
    yy, xx = np.mgrid[0:64, 0:96]
    d1 = np.hypot(yy - 32, xx - 24) / 20
    d2 = np.hypot(yy - 32, xx - 72) / 20
    center = np.minimum(d1, d2).clip(0, 1)
    foreground = (center < 0.9).astype(np.float32)
    boundary = center.copy()
    labels = sam_ais.watershed_labels(np.stack([foreground, center, boundary]).astype(np.float32), dict(sam_ais.DEFAULT_PARAMS))
    assert labels.max() == 2 and labels[32, 24] == 1 and labels[32, 72] == 2 and labels[0, 0] == 0
    params = dict(sam_ais.DEFAULT_PARAMS, min_size=10**6)
    assert sam_ais.watershed_labels(np.stack([foreground, center, boundary]).astype(np.float32), params).max() == 0


def test_adjusted_rand_index():
    a = np.array([0, 0, 1, 1, 2, 2])
    assert adjusted_rand_index(a, a) == 1.0
    assert adjusted_rand_index(a, np.array([5, 5, 0, 0, 9, 9])) == 1.0  # ids do not matter
    # the textbook example (sklearn.metrics.adjusted_rand_score([0,0,1,1], [0,0,1,2]) = 0.5714...)
    assert adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(0.5714285714)


# --- parameters ------------------------------------------------------------------------------------

def test_ais_params_defaults_and_overrides():
    assert ais_params(None) == DEFAULT_PARAMS
    assert DEFAULT_PARAMS["foreground_smoothing"] == 1.0 and DEFAULT_PARAMS["distance_smoothing"] == 1.6
    p = ais_params({"min_size": "10", "center_distance_threshold": "0.4", "batch_norm": "running"})
    assert p["min_size"] == 10 and p["center_distance_threshold"] == 0.4 and p["batch_norm"] == "running"


@pytest.mark.parametrize("given, words", [
    ({"min_sise": 3}, "unknown parameter 'min_sise'"),
    ({"min_size": "2.5"}, "whole number"),
    ({"foreground_threshold": "high"}, "must be a number"),
    ({"distance_smoothing": -1}, "must be >= 0"),
    ({"batch_norm": "eval"}, "batch_norm must be"),
])
def test_bad_ais_params_name_the_python_argument(given, words):
    with pytest.raises(ArgumentError) as e:
        ais_params(given)
    assert e.value.argument == "ais_params" and words in str(e.value) and "--" not in str(e.value)


# --- micro-sam's labels, without micro-sam -----------------------------------------------------------

def test_random_checkpoint_is_a_combined_zoo_file(tmp_path):
    from samzoo.builder.ais_model import save_random_ais_checkpoint
    from samzoo.plumbing.sam_checkpoint import load_checkpoint

    save_random_ais_checkpoint(tmp_path / "c.pt", "vit_t", seed=0)
    ck = load_checkpoint(tmp_path / "c.pt")
    assert ck.encoder == "vit_t" and len(ck.decoder_state) == DECODER_TENSORS


@pytest.mark.slow
def test_labels_match_micro_sam_library():
    """Same seed-0 random vit_t + decoder and image as micro-sam 1.8.14's
    ``InstanceSegmentationWithDecoder(...).generate()`` (scripts/ais_reference.py): adjusted Rand index >= 0.99."""
    import skimage.data

    reference = np.load(REFERENCE)
    assert str(reference["micro_sam_version"]) == "1.8.14"
    ck = random_ais_checkpoint("vit_t", 0)
    from samzoo.plumbing.sam_models import build_sam

    model = build_ais(build_sam("vit_t", ck["model_state"]), "vit_t", ck["decoder_state"])
    image = skimage.data.cell()[:512, :512]
    labels = model(torch.from_numpy(np.stack([image] * 3)[None]))
    assert labels.shape == (1, 1, 512, 512) and labels.dtype == torch.int32
    labels = labels[0, 0].numpy()
    n_ref = len(np.unique(reference["labels"])) - 1
    assert labels.max() >= 1 and labels.max() == len(np.unique(labels)) - 1  # ids 1..n, no gaps
    assert labels[np.unravel_index(np.argmax(labels > 0), labels.shape)] == 1  # canonical: the first object pixel has id 1
    ari = adjusted_rand_index(labels, reference["labels"])
    assert ari >= 0.99, f"adjusted Rand index {ari:.4f} ({labels.max()} objects vs micro-sam's {n_ref})"
