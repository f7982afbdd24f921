"""What a package says about itself: user models are not called published, prompts are told apart from masks,
box channels are named as their values, missing authors and dropped GitHub users are reported."""

from __future__ import annotations

import numpy as np
import pytest

from samzoo.builder import versioning
from samzoo.builder.cover import PROMPT_COLOUR, cover_png
from samzoo.builder.docs import documentation
from samzoo.builder.rdf import metadata_notes, tensors
from samzoo.catalog import add_model, load_catalog


@pytest.fixture
def user_model(tmp_path, monkeypatch, vit_t_checkpoint):
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path / "catalog"))
    add_model("vit_t_mylab", encoder="vit_t", weights=str(vit_t_checkpoint), domain="light_microscopy")
    return load_catalog()


def test_user_model_documentation_makes_no_family_claims(user_model):
    spec = user_model.models["vit_t_mylab"]
    doc = documentation(spec, user_model, "1", "cell.png", 2, False)
    assert "user model" in doc and "not one of the published" in doc
    assert "model of the Segment Anything for Microscopy family" not in doc and "model_type=" not in doc
    assert 'samzoo.load_predictor("vit_t_mylab")' in doc  # a usage snippet for this model
    rules = doc.split("## How to choose a model")[1].split("##")[0]
    assert "vit_b_lm" in rules and "vit_b_em_organelles" not in rules and "histopathology" not in rules.lower()
    published = documentation(user_model.models["vit_b_em_organelles"], user_model, "1.2", "coins.png", 2, False)
    assert 'model_type="vit_b_em_organelles"' in published and "vit_b_lm" not in published.split("## How to choose")[1].split("##")[0]


def test_registered_user_weights_are_not_a_published_rebuild(user_model, vit_t_checkpoint):
    from samzoo.plumbing.hashing import file_hash

    ref = user_model.lookup("vit_t_mylab")
    d = versioning.decide_version(ref, lambda alg: file_hash(vit_t_checkpoint, alg))
    assert (d.version, d.rebuild, d.matched.version) == ("1", False, "v1")
    assert "registered" in d.message and "published" not in d.message


def test_missing_authors_and_unknown_github_users_are_said(user_model):
    notes = metadata_notes(user_model.models["vit_t_mylab"])
    assert any("no authors" in n and "zoo check fails" in n for n in notes), notes
    lm = user_model.models["vit_b_lm"]
    author = lm.authors[0].model_copy(update={"github_user": "no-such-user-samzoo-1234"})
    spec = lm.model_copy(update={"authors": [author, *lm.authors[1:]]})
    assert any("'no-such-user-samzoo-1234' is left out of the rdf" in n for n in metadata_notes(spec))


def test_box_prompt_channels_are_named_as_their_values():
    inputs, _ = tensors({k: f"{k}.npy" for k in ("image", "box_prompts", "point_prompts", "point_labels", "mask_prompts",
                                                   "embeddings", "masks", "scores")}, _AnySha())
    box = next(t for t in inputs if t["id"] == "box_prompts")
    assert box["axes"][-1]["channel_names"] == ["x0", "y0", "x1", "y1"]


class _AnySha(dict):
    def __missing__(self, key):
        return "0" * 64


def test_cover_draws_prompts_in_their_own_colour_and_the_caption():
    from PIL import Image
    import io

    image = np.full((256, 256, 3), 128, np.uint8)
    masks = np.zeros((1, 256, 256), bool)
    masks[0, 40:200, 40:200] = True  # the mask fills the box: the frame must still be the prompt's colour
    png = cover_png(image, masks, np.array([[40, 40, 199, 199]]), caption="random weights")
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert tuple(pixels[120, 40]) == tuple(PROMPT_COLOUR.astype(int))  # the box's left edge
    assert tuple(pixels[120, 120]) != tuple(PROMPT_COLOUR.astype(int))  # inside: the mask's tint
    band = pixels[:12]
    assert (band == 0).all(axis=-1).mean() > 0.5 and (band > 200).all(axis=-1).any()  # dark band, white text
    plain = np.asarray(Image.open(io.BytesIO(cover_png(image, masks, np.array([[40, 40, 199, 199]])))).convert("RGB"))
    assert not (plain[:8] == 0).all(axis=-1).any()
