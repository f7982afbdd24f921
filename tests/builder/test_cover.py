"""cover.png (builder/cover.py): square, small, deterministic; prompts told apart from masks; the caption."""

from __future__ import annotations

import numpy as np

from samzoo.builder.cover import PROMPT_COLOUR, cover_png


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
