"""``documentation.md`` of a package, generated from the catalog."""

from __future__ import annotations

from ..catalog import CATEGORIES, Catalog, ModelSpec
from .rdf import MASKS_MISMATCHED_PPM, SCORES_RTOL

_ROLE_ORDER = {"default": 0, "quality": 1, "fast": 2}


def choosing_rules(catalog: Catalog) -> list[str]:
    """The seed page's "Choosing a Model" rules, one line each, from the current models' ``recommend`` blocks."""
    lines = []
    for domain, category in CATEGORIES.items():
        specs = sorted((s for s in catalog.current(domain) if s.recommend), key=lambda s: (_ROLE_ORDER[s.recommend.role], s.model_type))
        lines.extend(f"- **{category}**, {s.recommend.role}: `{s.model_type}`"
                     + (f" ({s.emoji} {s.nickname})" if s.nickname else "") + f". {s.recommend.reason}" for s in specs)
    lines.append("- `vit_h` models are not recommended: no advantage seen, significantly more resources.")
    return lines


_TENSOR_TABLE = """| tensor | axes | dtype | meaning |
|---|---|---|---|
| input `image` | batch, channel (R, G, B), y, x | uint8 | the image, any size; greyscale images repeat the channel |
| input `box_prompts` (optional) | batch, object, channel (4) | int64 | one box per object: x0, y0, x1, y1 |
| input `point_prompts` (optional) | batch, object, point, channel (x, y) | int64 | points per object |
| input `point_labels` (optional) | batch, object, point | int64 | 1 = foreground, 0 = background, -1 = padding |
| input `mask_prompts` (optional) | batch, object, channel, y (256), x (256) | float32 | mask logits in SAM's low-resolution frame |
| input `embeddings` (optional) | batch, channel (256), y (64), x (64) | float32 | precomputed image embeddings: skips the image encoder |
| output `masks` | batch, object, channel, y, x | uint8 | one binary mask per object, size of the image |
| output `scores` | batch, object, channel | float32 | predicted IoU of each mask |
| output `embeddings` | batch, channel (256), y (64), x (64) | float32 | the image embeddings (reuse them for more prompts) |
"""


def documentation(spec: ModelSpec, catalog: Catalog, version: str, test_source: str, n_objects: int,
                  has_decoder: bool) -> str:
    """The Markdown text of ``documentation.md``."""
    zoo = f" ({spec.emoji} `{spec.nickname}/{version}` on the BioImage.IO Model Zoo)" if spec.nickname else ""
    decoder = (
        f"\nThe package also holds the instance-segmentation decoder (`{spec.encoder}_decoder.pt`, an attachment) "
        "that micro-sam uses for automatic instance segmentation.\n" if has_decoder else ""
    )
    cites = "\n".join(
        f"- {c.text}" + (f" [doi:{c.doi}](https://doi.org/{c.doi})" if c.doi else f" <{c.url}>" if c.url else "")
        for c in spec.citations
    )
    return f"""# {spec.display_name}: `{spec.model_type}`, version {version}{zoo}

{spec.description}

Segment Anything (SAM) segments objects from prompts: boxes, points or a rough mask.
This model is the {spec.category} model of the Segment Anything for Microscopy family,
with a `{spec.encoder}` image encoder. It is used by micro-sam (`model_type="{spec.model_type}"`)
and by any BioImage.IO-compatible tool through the tensors below.
{decoder}
## How to choose a model

{chr(10).join(choosing_rules(catalog))}

## Inputs and outputs

All tensors have a batch axis of size 1. Coordinates are pixels of the input image, x before y.

{_TENSOR_TABLE}
The image is resized so its longest side is 1024 pixels (bilinear, antialiased) and padded,
with plain torch operations inside `sam_adaptor.py`: results do not depend on which
distribution of `segment_anything` is installed.

## Validation

The test tensors were computed from {test_source}, with prompts (a box, one positive and two
negative points, and a mask prompt) for the {n_objects} largest object(s) of the label image;
`cover.png` shows the predicted masks. Check the package with `bioimageio test <package>.zip`
(bioimageio.core). The reproducibility tolerances in `config.bioimageio.reproducibility_tolerance`
are set per output: `embeddings` exactly (they pass through when given), `scores` to a
relative {SCORES_RTOL:g}, and at most {MASKS_MISMATCHED_PPM} flipped `masks` pixels per million (mask borders where
the logit is near 0 may flip on other hardware).

This model is a segmentation aid: check its masks, especially on data unlike its training data.

## Citation

{cites}
"""
