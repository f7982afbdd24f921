"""Segment Anything as one BioImage.IO model: image and prompts in, masks, scores and embeddings out.

This file is the architecture of samzoo's packages. BioImage.IO tools import it
alone, from a temporary copy, so it imports nothing but ``torch`` and
``segment_anything`` (``mobile_sam`` for ``vit_t``). It resizes and pads the
image with its own torch operations, so its outputs do not depend on whether
``segment-anything`` or the fork ``segment-anything-py`` is installed.

Tensors (B = 1 batch, O = objects, P = points per object; coordinates are
pixels of the input image, x before y):

* ``image``         B x 3 x H x W uint8 RGB, any H and W
* ``box_prompts``   B x O x 4 int64 boxes ``x0, y0, x1, y1`` (optional)
* ``point_prompts`` B x O x P x 2 int64 points ``x, y`` (optional)
* ``point_labels``  B x O x P int64, 1 = foreground, 0 = background (with ``point_prompts``)
* ``mask_prompts``  B x O x 1 x 256 x 256 float32 mask logits (optional)
* ``embeddings``    B x 256 x 64 x 64 float32 image embeddings (optional; skips the image encoder)

Outputs: ``masks`` B x O x 1 x H x W uint8 (0/1), ``scores`` B x O x 1 float32
(predicted IoU), ``embeddings`` B x 256 x 64 x 64 float32.

The ViT image encoders (vit_b, vit_l, vit_h) compute their attention with
``scaled_dot_product_attention`` (:class:`FastAttention`): the same weights and the
same result up to float rounding, about a third less time on a CPU.
"""

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

IMAGE_SIZE = 1024


def build_sam_module(model_type: str) -> nn.Module:
    """An (untrained) SAM module of ``model_type``: vit_b, vit_l, vit_h (segment_anything) or vit_t (mobile_sam)."""
    if model_type == "vit_t":
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from mobile_sam import sam_model_registry
    else:
        from segment_anything import sam_model_registry
    return sam_model_registry[model_type]()


class FastAttention(nn.Module):
    """segment_anything's image-encoder ``Attention`` with ``scaled_dot_product_attention``.

    Same parameter names (so the same state dict keys); the decomposed relative position
    terms are added as the attention mask, written once instead of added to the attention
    matrix, and softmax and the value product run fused.
    """

    def __init__(self, attn: nn.Module) -> None:
        super().__init__()
        self.num_heads = int(attn.num_heads)
        self.qkv = attn.qkv
        self.proj = attn.proj
        self.use_rel_pos = bool(attn.use_rel_pos)
        if self.use_rel_pos:
            self.rel_pos_h = attn.rel_pos_h
            self.rel_pos_w = attn.rel_pos_w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, _ = x.shape
        qkv = self.qkv(x).reshape(b, h * w, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.reshape(3, b * self.num_heads, h * w, -1).unbind(0)
        mask: Optional[torch.Tensor] = None
        if self.use_rel_pos:
            from segment_anything.modeling.image_encoder import get_rel_pos

            r_q = q.reshape(q.shape[0], h, w, -1)
            rel_h = torch.einsum("bhwc,hkc->bhwk", r_q, get_rel_pos(h, h, self.rel_pos_h))
            rel_w = torch.einsum("bhwc,wkc->bhwk", r_q, get_rel_pos(w, w, self.rel_pos_w))
            bias = torch.empty((q.shape[0], h, w, h, w), dtype=q.dtype, device=q.device)
            torch.add(rel_h.unsqueeze(-1), rel_w.unsqueeze(-2), out=bias)
            mask = bias.view(q.shape[0], h * w, h * w)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        out = out.view(b, self.num_heads, h, w, -1).permute(0, 2, 3, 1, 4).reshape(b, h, w, -1)
        return self.proj(out)


def use_fast_attention(sam: nn.Module) -> nn.Module:
    """Give a ViT image encoder's blocks :class:`FastAttention` (TinyViT, vit_t, and traced encoders are left as they are)."""
    if isinstance(sam.image_encoder, torch.jit.ScriptModule):
        return sam
    for block in getattr(sam.image_encoder, "blocks", ()):
        attn = getattr(block, "attn", None)
        if attn is not None and not isinstance(attn, FastAttention) and all(hasattr(attn, a) for a in ("qkv", "proj", "num_heads", "use_rel_pos")):
            block.attn = FastAttention(attn)
    return sam


def resized_shape(height: int, width: int, long_side: int = IMAGE_SIZE) -> Tuple[int, int]:
    """(h, w) after scaling the longest side to ``long_side`` (as SAM's ResizeLongestSide)."""
    scale = long_side * 1.0 / max(height, width)
    return int(height * scale + 0.5), int(width * scale + 0.5)


def preprocess(image: torch.Tensor, pixel_mean: torch.Tensor, pixel_std: torch.Tensor, size: int = IMAGE_SIZE) -> torch.Tensor:
    """A 1 x 3 x H x W image (0..255) as SAM's encoder input: resized (longest side 1024), normalised, padded."""
    new_h, new_w = resized_shape(image.shape[-2], image.shape[-1], size)
    x = F.interpolate(image.float(), [new_h, new_w], mode="bilinear", align_corners=False, antialias=True)
    x = (x - pixel_mean) / pixel_std
    return F.pad(x, [0, size - new_w, 0, size - new_h])


class SamAdaptor(nn.Module):
    """SAM predictor for one image per call (no state kept between calls).

    Its code is TorchScript-compatible: samzoo scripts it over traced SAM parts for the
    ``torchscript`` weights of a package (``samzoo build --weight-format torchscript``).
    """

    def __init__(self, model_type: str, sam: Optional[nn.Module] = None, fast_attention: bool = True) -> None:
        super().__init__()
        self.model_type = model_type
        self.sam = build_sam_module(model_type) if sam is None else sam
        if fast_attention:
            use_fast_attention(self.sam)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Load a plain SAM state dict (``image_encoder.*``, ``prompt_encoder.*``, ``mask_decoder.*``)."""
        return self.sam.load_state_dict(state_dict, strict=strict, assign=assign)

    def state_dict(self, *args, **kwargs):
        return self.sam.state_dict(*args, **kwargs)

    def encode(self, image: torch.Tensor) -> torch.Tensor:
        """Image embeddings (1 x 256 x 64 x 64) of a 1 x 3 x H x W image with values 0..255."""
        return self.sam.image_encoder(preprocess(image, self.sam.pixel_mean, self.sam.pixel_std))

    def decode(
        self,
        embeddings: torch.Tensor,
        image_size: Tuple[int, int],
        box_prompts: Optional[torch.Tensor] = None,
        point_prompts: Optional[torch.Tensor] = None,
        point_labels: Optional[torch.Tensor] = None,
        mask_prompts: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Masks (1 x O x 1 x H x W uint8) and scores (1 x O x 1) for the prompts of one image."""
        h, w = image_size
        new_h, new_w = resized_shape(h, w)
        scale = torch.tensor([new_w / w, new_h / h], dtype=torch.float32, device=embeddings.device)
        points: Optional[Tuple[torch.Tensor, torch.Tensor]] = None
        if point_prompts is not None:
            if point_labels is None:
                raise ValueError("point_prompts need point_labels (1 = foreground, 0 = background)")
            coords = point_prompts[0].to(torch.float32) * scale
            points = (coords, point_labels[0].to(torch.int64))
        boxes: Optional[torch.Tensor] = None
        if box_prompts is not None:
            boxes = (box_prompts[0].to(torch.float32).reshape(-1, 2, 2) * scale).reshape(-1, 4)
        masks_in: Optional[torch.Tensor] = None
        if mask_prompts is not None:
            masks_in = mask_prompts[0].to(torch.float32)
        sparse, dense = self.sam.prompt_encoder(points=points, boxes=boxes, masks=masks_in)
        low_res, iou = self.sam.mask_decoder(
            image_embeddings=embeddings,
            image_pe=self.sam.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=False,
        )
        size = resized_shape(1, 1)[0]  # the padded input side (1024); TorchScript reads no module globals
        logits = F.interpolate(low_res, [size, size], mode="bilinear", align_corners=False)
        logits = F.interpolate(logits[..., :new_h, :new_w], [h, w], mode="bilinear", align_corners=False)
        masks = (logits > self.sam.mask_threshold).to(torch.uint8)
        return masks[None], iou[None]

    def forward(
        self,
        image: torch.Tensor,
        box_prompts: Optional[torch.Tensor] = None,
        point_prompts: Optional[torch.Tensor] = None,
        point_labels: Optional[torch.Tensor] = None,
        mask_prompts: Optional[torch.Tensor] = None,
        embeddings: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            if image.dim() != 4 or image.shape[0] != 1 or image.shape[1] != 3:
                raise ValueError("image must be 1 x 3 x H x W (one RGB image), got shape " + str(image.shape))
            if embeddings is None:
                embeddings = self.encode(image)
            embeddings = embeddings.to(torch.float32)
            masks, scores = self.decode(
                embeddings, (image.shape[-2], image.shape[-1]), box_prompts, point_prompts, point_labels, mask_prompts
            )
            return masks, scores, embeddings
