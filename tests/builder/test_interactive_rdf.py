"""The interactive package's rdf.yaml (builder/interactive_rdf.py): tensors and tolerances."""

from __future__ import annotations

from samzoo.builder import interactive_rdf
from samzoo.builder.interactive_rdf import tensors


def test_tolerances_follow_bioimageio_limits():
    tol = {t["output_ids"][0]: t for t in interactive_rdf.reproducibility_tolerance(0.005)}
    # embeddings: computed by the validator's encoder check on another machine, so not exact, but tight
    assert tol["embeddings"]["relative_tolerance"] <= 1e-3 and tol["embeddings"]["mismatched_elements_per_million"] <= 100
    assert 0 < tol["embeddings"]["absolute_tolerance"] <= 1e-4
    small = {t["output_ids"][0]: t for t in interactive_rdf.reproducibility_tolerance(0.005, embeddings_max=0.002)}
    assert small["embeddings"]["absolute_tolerance"] <= 0.01 * 0.002  # capped at 1% of the largest value
    assert 0 < tol["scores"]["absolute_tolerance"] <= 0.01 * 0.005
    assert interactive_rdf.reproducibility_tolerance(-0.2)[1]["absolute_tolerance"] == 0.0
    assert tol["masks"]["mismatched_elements_per_million"] <= 5000


def test_box_prompt_channels_are_named_as_their_values():
    ids = ("image", "box_prompts", "point_prompts", "point_labels", "mask_prompts", "embeddings", "masks", "scores")
    inputs, _ = tensors({k: f"{k}.npy" for k in ids}, _AnySha(), {k: f"{k}.tif" for k in ids})
    box = next(t for t in inputs if t["id"] == "box_prompts")
    assert box["axes"][-1]["channel_names"] == ["x0", "y0", "x1", "y1"]


class _AnySha(dict):
    def __missing__(self, key):
        return "0" * 64
