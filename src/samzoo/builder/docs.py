"""``documentation.md`` of a package of either kind, generated from the catalog."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..catalog import Catalog, ModelSpec, is_builtin
from ..catalog.recommend import VIT_H_ADVICE, domain_rules
from .automatic_rdf import LABELS_MISMATCHED_PPM
from .interactive_rdf import (
    EMBEDDINGS_ATOL,
    EMBEDDINGS_MISMATCHED_PPM,
    EMBEDDINGS_RTOL,
    MASKS_MISMATCHED_PPM,
    SCORES_ATOL,
    SCORES_RTOL,
)

if TYPE_CHECKING:
    from .context import BuildContext

def _rule_line(s: ModelSpec, spec: ModelSpec) -> str:
    if s is spec and not is_builtin(s):
        return f"- this model, {s.recommend.role}: {s.recommend.reason}"
    return (f"- {s.recommend.role}: `{s.model_type}`" + (f" ({s.emoji + ' ' if s.emoji else ''}{s.nickname})" if s.nickname else "")
            + f". {s.recommend.reason}")


def model_rules(spec: ModelSpec, catalog: Catalog) -> list[str]:
    """The "Choosing a Model" rules that concern this model (the catalog's :func:`domain_rules`), as Markdown lines."""
    return [*(_rule_line(s, spec) for s in domain_rules(spec, catalog)), f"- {VIT_H_ADVICE}"]


def _about(spec: ModelSpec) -> str:
    """What the model is, without claims that only hold for the published family."""
    if is_builtin(spec):
        return (f"This model is the {spec.category} model of the Segment Anything for Microscopy family,\n"
                f"with a `{spec.encoder}` image encoder. micro-sam loads it as `model_type=\"{spec.model_type}\"`,\n"
                "and any BioImage.IO-compatible tool runs it through the tensors below.")
    return (f"This is a user model (`{spec.model_type}`, a `{spec.encoder}` image encoder for\n"
            f"{spec.category.lower()} data), registered in a samzoo catalog; it is not one of the published\n"
            "Segment Anything for Microscopy models. BioImage.IO-compatible tools run it through the tensors below.")


def load_name(spec: ModelSpec, version: str, package_file: str) -> tuple[str, str]:
    """The name a reader of the zoo page passes to ``samzoo.load_predictor``, and what it is.

    A published family model by its zoo id and version (the catalog knows it everywhere), a user model the zoo
    assigned an id by that id (its latest version, fetched from the zoo), any other by this package's file.
    """
    if spec.nickname and is_builtin(spec):
        return f"{spec.nickname}/{version}", "by its zoo id"
    if spec.nickname:
        return spec.nickname, "by its zoo id (the latest version)"
    return f"path/to/{package_file}", "from this package's zip, downloaded"


def _usage(spec: ModelSpec, version: str, package_file: str) -> str:
    """How to use the model: samzoo by a name that works for a reader of the zoo page (and micro-sam for the published ones)."""
    micro_sam = (f"\n# micro-sam, by model type\nfrom micro_sam.util import get_sam_model\n"
                 f"sam = get_sam_model(model_type=\"{spec.model_type}\")\n") if is_builtin(spec) else ""
    name, how = load_name(spec, version, package_file)
    return f"""```python
# samzoo: the SAM module {how}; weights verified and cached
import samzoo
predictor = samzoo.load_predictor("{name}")
predictor.set_image(image)                      # H x W x 3 uint8
masks, scores, _ = predictor.predict(box=box)   # box: x0, y0, x1, y1
{micro_sam}```"""


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


def documentation(spec: ModelSpec, catalog: Catalog, version: str, *, test_source: str, n_objects: int,
                  has_decoder: bool, extra_files: tuple[str, ...] = (), package_file: str = "") -> str:
    """The Markdown text of ``documentation.md`` (``extra_files``: the TorchScript weights and ONNX decoder, if any;
    ``package_file``: the package's default file name, for the usage snippet; default ``<model_type>-<version>.zip``)."""
    zoo = f" ({spec.emoji + ' ' if spec.emoji else ''}`{spec.nickname}/{version}` on the BioImage.IO Model Zoo)" if spec.nickname else ""
    decoder = (
        f"\nThe package also holds the instance-segmentation decoder (`{spec.encoder}_decoder.pt`, an attachment) "
        "used for automatic instance segmentation.\n" if has_decoder else ""
    )
    cites = "\n".join(
        f"- {c.text}" + (f" [doi:{c.doi}](https://doi.org/{c.doi})" if c.doi else f" <{c.url}>" if c.url else "")
        for c in spec.citations
    )
    return f"""# {spec.display_name}: `{spec.model_type}`, version {version}{zoo}

{spec.description}

Segment Anything (SAM) segments objects from prompts: boxes, points or a rough mask.
{_about(spec)}
{decoder}
## Usage

{_usage(spec, version, package_file or f'{spec.model_type}-{version}.zip')}

{_formats_section(spec.encoder, extra_files)}## How to choose a model ({spec.category.lower()})

{chr(10).join(model_rules(spec, catalog))}

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
are set per output: `embeddings` to a relative {EMBEDDINGS_RTOL:g} (absolute at most {EMBEDDINGS_ATOL:g}) with at most
{EMBEDDINGS_MISMATCHED_PPM} mismatched elements per million (other hardware computes other float rounding),
`scores` to a relative {SCORES_RTOL:g} (absolute at most {SCORES_ATOL:g}), and at most {MASKS_MISMATCHED_PPM} flipped
`masks` pixels per million (mask borders where the logit is near 0 may flip on other hardware).

This model is a segmentation aid: check its masks, especially on data unlike its training data.

## Citation

{cites}
"""


def _formats_section(encoder: str, extra_files: tuple[str, ...]) -> str:
    """``## Weight formats``: the TorchScript weights and the ONNX prompt decoder (names, inputs, outputs), if shipped."""
    from .exports.plan import onnx_decoder_file, torchscript_file

    if not extra_files:
        return ""
    parts = ["## Weight formats\n", f"- `pytorch_state_dict`: `{encoder}.pt` with the architecture `sam_adaptor.py`."]
    if torchscript_file(encoder) in extra_files:
        parts.append(
            f"- `torchscript`: `{torchscript_file(encoder)}`, the same model (inputs, outputs, optional prompts) for tools "
            "that run TorchScript (`torch.jit.load`); it is `sam_adaptor.py` scripted over SAM's traced encoder and decoder."
        )
    if onnx_decoder_file(encoder) in extra_files:
        parts.append(f"""- ONNX prompt decoder (an attachment, not a weights entry: its inputs differ): `{onnx_decoder_file(encoder)}`,
  SAM's prompt encoder and mask decoder in the layout of segment-anything's `export_onnx_model.py`
  (opset 17, single mask), for annotators that compute the embeddings once (the `embeddings`
  output) and run the decoder per click. One object per call:

  | input | shape, dtype | meaning |
  |---|---|---|
  | `image_embeddings` | 1 x 256 x 64 x 64 float32 | the image embeddings |
  | `point_coords` | 1 x N x 2 float32 | points x, y in the resized frame (pixels x 1024 / longest image side); a box is two points |
  | `point_labels` | 1 x N float32 | 1 foreground, 0 background, 2 box top-left, 3 box bottom-right, -1 padding (add a point (0, 0) with -1 when there is no box) |
  | `mask_input` | 1 x 1 x 256 x 256 float32 | mask logits of a previous prediction (zeros when none) |
  | `has_mask_input` | 1 float32 | 1 when `mask_input` is given, else 0 |
  | `orig_im_size` | 2 float32 | image height, width |

  Outputs: `masks` (1 x 1 x H x W logits; the mask is `masks > 0`), `iou_predictions` (1 x 1),
  `low_res_masks` (1 x 1 x 256 x 256 logits, the next call's `mask_input`). With more than two points
  (a box counts as two) it returns SAM's single-mask output, as this package does; with fewer, the
  best-scoring of SAM's three multimask outputs, as segment-anything's ONNX model does.""")
    parts.append("\nEach format's outputs on the test inputs matched the state dict's within the tolerances below when the package was built.\n\n")
    return "\n".join(parts)


def ais_documentation(b: BuildContext, n_objects: int, min_side: int) -> str:
    """documentation.md of an automatic (AIS) package."""
    spec, version = b.spec, b.decision.version
    zoo = f" ({spec.emoji + ' ' if spec.emoji else ''}`{spec.nickname}/{version}` on the BioImage.IO Model Zoo)" if spec.nickname else ""
    params = "\n".join(f"| `{k}` | {v} |" for k, v in b.ais_params.items())
    cites = "\n".join(f"- {c.text}" + (f" [doi:{c.doi}](https://doi.org/{c.doi})" if c.doi else "") for c in spec.citations)
    return f"""# {spec.display_name}: `{spec.model_type}`, version {version}, automatic instance segmentation{zoo}

{spec.description}

This package segments every object of an image without prompts: SAM's `{spec.encoder}` image
encoder, a UNETR decoder predicting foreground, center distances and boundary distances, and a
seeded watershed, as micro-sam's `InstanceSegmentationWithDecoder(...).generate()` does.
For prompt-based segmentation use the interactive package of the same model.

## How to choose a model

{chr(10).join(model_rules(spec, b.catalog))}

## Inputs and outputs

| tensor | axes | dtype | meaning |
|---|---|---|---|
| input `image` | batch (1), channel (R, G, B), y, x | uint8 | the image, at least {min_side} x {min_side}; greyscale images repeat the channel |
| output `labels` | batch (1), channel (1), y, x | int32 | 0 = background, objects 1..n, the size of the image |

Each channel is scaled to 0..255, the image is resized so its longest side is 1024 pixels
(`ResizeLongestSide.apply_image`, as `SamPredictor.set_image`) and padded. Objects are numbered
by the raster position of their first pixel, so ids do not depend on how the watershed ran.

Post-processing parameters (architecture kwargs in `rdf.yaml`, recorded in `config.samzoo.ais_params`;
change them at build time with `samzoo build --ais-param name=value`):

| parameter | value |
|---|---|
{params}

## Validation

The test output holds {n_objects} objects found in {b.samples.image_source} by this package itself
(no labels or prompts are given to it); `cover.png` shows them.
Check the package with `bioimageio test <package>.zip`. Tolerance: at most
{LABELS_MISMATCHED_PPM} pixels per million with another label (object borders may move on other hardware).

This model is a segmentation aid: check its results, especially on data unlike its training data.

## Citation

{cites}
"""
