"""Automatic instance segmentation (AIS) with Segment Anything: an image in, an instance label image out.

This file is the architecture of samzoo's AIS packages. BioImage.IO tools import it
alone, from a temporary copy, so it imports nothing but ``numpy``, ``torch``,
``segment_anything`` (``mobile_sam`` for ``vit_t``) and ``bioimage_cpp`` (the
post-processing micro-sam uses).

It reproduces micro-sam's library path ``InstanceSegmentationWithDecoder(predictor,
decoder).initialize(image)`` + ``.generate()`` (micro-sam 1.8.14, default parameters):

1. the image is scaled per channel to 0..255 uint8 (``micro_sam.util._to_image``),
   resized with ``ResizeLongestSide.apply_image`` (PIL, as ``SamPredictor.set_image``),
   normalised and padded to 1024 x 1024, and encoded by SAM's image encoder;
2. a UNETR decoder (torch_em's, without skip connections) predicts foreground, center
   distances and boundary distances (sigmoid), resized back to the image size. Its
   BatchNorm layers use the statistics of the image itself, as micro-sam's library does
   (it never switches the decoder to eval mode); ``batch_norm="running"`` uses the
   stored running statistics instead;
3. seeded watershed (``torch_em.util.segmentation.watershed_from_center_and_boundary_distances``):
   Gaussian smoothing of the foreground (sigma ``foreground_smoothing``) and of both
   distance maps (sigma ``distance_smoothing``), seeds = connected components of
   ``center < t_c & boundary < t_b & foreground > t_f``, watershed of the boundary
   distances inside the foreground, objects smaller than ``min_size`` removed;
4. label ids are made canonical: objects numbered 1..n in the raster order of their
   first pixel, so that ids do not depend on how the watershed numbered its seeds.

Tensors: input ``image`` 1 x 3 x H x W uint8 (RGB; repeat a grey channel), output
``labels`` 1 x 1 x H x W int32 (0 = background). Weights: ``{"model_state": <SAM state
dict>, "decoder_state": <UNETR decoder state>}``, micro-sam's combined checkpoint format.
"""

from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

IMAGE_SIZE = 1024
#: micro-sam 1.8.14's ``InstanceSegmentationWithDecoder.generate`` defaults
DEFAULT_PARAMS = {
    "center_distance_threshold": 0.5,
    "boundary_distance_threshold": 0.5,
    "foreground_threshold": 0.5,
    "foreground_smoothing": 1.0,
    "distance_smoothing": 1.6,
    "min_size": 0,
}
_FEATURES = (512, 256, 128, 64)  # torch_em UNETR: initial_features 64, gain 2, depth 3 (reversed)
_EMBED_DIM = 256  # SAM's image embeddings (after the neck)


def _sam_module(model_type: str) -> nn.Module:
    if model_type == "vit_t":
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from mobile_sam import sam_model_registry
    else:
        from segment_anything import sam_model_registry
    return sam_model_registry[model_type]()


def _resize_longest_side(image_hwc: np.ndarray, model_type: str) -> np.ndarray:
    """``ResizeLongestSide(1024).apply_image``: PIL bilinear resize of an H x W x 3 uint8 image."""
    if model_type == "vit_t":
        from mobile_sam.utils.transforms import ResizeLongestSide
    else:
        from segment_anything.utils.transforms import ResizeLongestSide
    return ResizeLongestSide(IMAGE_SIZE).apply_image(image_hwc)


def to_uint8_per_channel(image_hwc: np.ndarray) -> np.ndarray:
    """micro-sam's ``_to_image`` scaling: each channel min..max -> 0..255 uint8 (float32 arithmetic)."""
    x = image_hwc.astype("float32")
    x -= x.min(axis=(0, 1))[None, None]
    x /= x.max(axis=(0, 1))[None, None] + 1e-7
    return (x * 255).astype("uint8")


# --- UNETR decoder (torch_em.model.unetr.UNETR with use_skip_connection=False) ------------

class ConvBlock(nn.Module):
    """(InstanceNorm, 3x3 conv, ReLU) x 2 -- torch_em's ConvBlock2d."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.InstanceNorm2d(in_channels), nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(inplace=True),
            nn.InstanceNorm2d(out_channels), nn.Conv2d(out_channels, out_channels, 3, padding=1), nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x)


class Upsampler(nn.Module):
    """2x bilinear interpolation, then a 1x1 conv -- torch_em's Upsampler2d (v4 decoders)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False))


class TransposedUpsampler(nn.Module):
    """2x2 transposed convolution with stride 2 -- torch_em's SingleDeconv2DBlock (older decoders)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.block = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=2, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x)


class ImageBatchNorm(nn.BatchNorm2d):
    """BatchNorm2d that normalises with the statistics of the current batch (one image) when ``per_image``.

    micro-sam's library runs the decoder in training mode, where BatchNorm uses batch statistics;
    this gives the same numbers without updating the stored running statistics.
    """

    per_image = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.per_image:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
        return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)


class SingleConv(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.block = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x)


def _upsampler(in_channels: int, out_channels: int, transposed: bool) -> nn.Module:
    return TransposedUpsampler(in_channels, out_channels) if transposed else Upsampler(in_channels, out_channels)


class DeconvBlock(nn.Module):
    """Upsample, 3x3 conv, BatchNorm, ReLU -- torch_em's Deconv2DBlock."""

    def __init__(self, in_channels: int, out_channels: int, transposed: bool) -> None:
        super().__init__()
        self.block = nn.Sequential(
            _upsampler(in_channels, out_channels, transposed), SingleConv(out_channels),
            ImageBatchNorm(out_channels), nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x)


class Decoder(nn.Module):
    """torch_em's UNet Decoder: upsample, concatenate the centre channels of the skip input, conv block."""

    def __init__(self, transposed: bool) -> None:
        super().__init__()
        f = _FEATURES
        self.blocks = nn.ModuleList([ConvBlock(f[i], f[i + 1]) for i in range(3)])
        self.samplers = nn.ModuleList([_upsampler(f[i], f[i + 1], transposed) for i in range(3)])

    @staticmethod
    def _crop(skip: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        # torch_em crops every axis after the batch axis to the upsampled tensor's shape, channels included
        index = [slice(None)]
        for have, want in zip(skip.shape[1:], like.shape[1:], strict=True):
            start = (have - want) // 2
            index.append(slice(start, start + want))
        return skip[tuple(index)]

    def forward(self, x: torch.Tensor, skips: List[torch.Tensor]) -> torch.Tensor:
        for block, sampler, skip in zip(self.blocks, self.samplers, skips, strict=True):
            x = sampler(x)
            x = block(torch.cat([x, self._crop(skip, x)], dim=1))
        return x


def is_transposed(decoder_state: Dict[str, torch.Tensor]) -> bool:
    """Whether a decoder state upsamples with transposed convolutions (older decoders), as micro-sam decides."""
    return any(".block." in k for k in decoder_state if k.startswith("decoder.samplers"))


class AISDecoder(nn.Module):
    """The UNETR decoder on SAM's image embeddings: 3 maps (foreground, center and boundary distances)."""

    def __init__(self, transposed: bool = False, out_channels: int = 3) -> None:
        super().__init__()
        f = _FEATURES
        self.transposed = transposed
        self.decoder = Decoder(transposed)
        self.deconv1 = DeconvBlock(_EMBED_DIM, f[0], transposed)
        self.deconv2 = DeconvBlock(f[0], f[1], transposed)
        self.deconv3 = DeconvBlock(f[1], f[2], transposed)
        self.deconv4 = DeconvBlock(f[2], f[3], transposed)
        self.base = ConvBlock(_EMBED_DIM, f[0])
        self.out_conv = nn.Conv2d(f[3], out_channels, 1)
        self.deconv_out = _upsampler(f[3], f[3], transposed)
        self.decoder_head = ConvBlock(2 * f[3], f[3])

    def set_batch_norm(self, mode: str) -> None:
        if mode not in ("image", "running"):
            raise ValueError(f"batch_norm must be 'image' (micro-sam's library) or 'running', not {mode!r}")
        for m in self.modules():
            if isinstance(m, ImageBatchNorm):
                m.per_image = mode == "image"

    def forward(self, embeddings: torch.Tensor, input_size: Tuple[int, int], original_size: Tuple[int, int]) -> torch.Tensor:
        z9 = self.deconv1(embeddings)
        z6 = self.deconv2(z9)
        z3 = self.deconv3(z6)
        z0 = self.deconv4(z3)
        x = self.decoder(self.base(embeddings), [z9, z6, z3])
        x = self.decoder_head(torch.cat([self.deconv_out(x), z0], dim=1))
        x = torch.sigmoid(self.out_conv(x))
        x = F.interpolate(x, (IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", align_corners=False)
        x = x[..., : input_size[0], : input_size[1]]
        return F.interpolate(x, original_size, mode="bilinear", align_corners=False)


# --- post-processing -------------------------------------------------------------------------

def canonical_labels(seg: np.ndarray) -> np.ndarray:
    """Renumber objects 1..n by the raster position of their first pixel (0 stays background); int32."""
    flat = seg.ravel()
    ids, first = np.unique(flat, return_index=True)
    keep = ids != 0
    ids, first = ids[keep], first[keep]
    lut = np.zeros(int(ids.max()) + 1 if ids.size else 1, dtype=np.int32)
    lut[ids[np.argsort(first, kind="stable")]] = np.arange(1, ids.size + 1, dtype=np.int32)
    return lut[seg]


def watershed_labels(maps: np.ndarray, params: Dict[str, float]) -> np.ndarray:
    """Instance labels (H x W int32, canonical) from foreground, center and boundary distance maps (3 x H x W)."""
    import bioimage_cpp as bic

    foreground, center, boundary = (np.ascontiguousarray(m, dtype=np.float32) for m in maps)
    if params["foreground_smoothing"] > 0:
        foreground = bic.filters.gaussian_smoothing(foreground, params["foreground_smoothing"])
    if params["distance_smoothing"] > 0:
        center = bic.filters.gaussian_smoothing(center, params["distance_smoothing"])
        boundary = bic.filters.gaussian_smoothing(boundary, params["distance_smoothing"])
    fg_mask = foreground > params["foreground_threshold"]
    seeds = (center < params["center_distance_threshold"]) & (boundary < params["boundary_distance_threshold"])
    seeds[~fg_mask] = False
    markers = bic.segmentation.label(seeds)
    seg = bic.segmentation.watershed(boundary, markers=markers, mask=fg_mask)
    min_size = int(params["min_size"])
    if min_size > 0:
        ids, sizes = np.unique(seg, return_counts=True)
        seg[np.isin(seg, ids[sizes < min_size])] = 0
    return canonical_labels(seg)


# --- the model -------------------------------------------------------------------------------

class SamAIS(nn.Module):
    """SAM image encoder + UNETR decoder + seeded watershed: one image in, its instance labels out."""

    def __init__(
        self,
        model_type: str,
        transposed_decoder: bool = False,
        batch_norm: str = "image",
        center_distance_threshold: float = DEFAULT_PARAMS["center_distance_threshold"],
        boundary_distance_threshold: float = DEFAULT_PARAMS["boundary_distance_threshold"],
        foreground_threshold: float = DEFAULT_PARAMS["foreground_threshold"],
        foreground_smoothing: float = DEFAULT_PARAMS["foreground_smoothing"],
        distance_smoothing: float = DEFAULT_PARAMS["distance_smoothing"],
        min_size: int = DEFAULT_PARAMS["min_size"],
        sam: Optional[nn.Module] = None,
    ) -> None:
        super().__init__()
        self.model_type = model_type
        self.sam = _sam_module(model_type) if sam is None else sam
        self.decoder = AISDecoder(transposed=transposed_decoder)
        self.decoder.set_batch_norm(batch_norm)
        self.params = {
            "center_distance_threshold": float(center_distance_threshold),
            "boundary_distance_threshold": float(boundary_distance_threshold),
            "foreground_threshold": float(foreground_threshold),
            "foreground_smoothing": float(foreground_smoothing),
            "distance_smoothing": float(distance_smoothing),
            "min_size": int(min_size),
        }

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Load ``{"model_state": SAM state dict, "decoder_state": decoder state}`` (or this module's own keys)."""
        if "model_state" in state_dict:
            state_dict = {
                **{f"sam.{k}": v for k, v in state_dict["model_state"].items()},
                **{f"decoder.{k}": v for k, v in state_dict["decoder_state"].items()},
            }
        result = super().load_state_dict(state_dict, strict=strict, assign=assign)
        self.train(self.training)  # TinyViT (vit_t) caches attention biases when its mode is set: refresh them
        return result

    def encode(self, image: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """Image embeddings (1 x 256 x 64 x 64) and the resized size, as ``SamPredictor.set_image`` computes them."""
        hwc = to_uint8_per_channel(image[0].permute(1, 2, 0).cpu().numpy())
        resized = torch.as_tensor(_resize_longest_side(hwc, self.model_type), device=self.sam.pixel_mean.device)
        x = resized.permute(2, 0, 1).contiguous()[None]
        input_size = (int(x.shape[-2]), int(x.shape[-1]))
        return self.sam.image_encoder(self.sam.preprocess(x)), input_size

    def predict_maps(self, image: torch.Tensor) -> torch.Tensor:
        """Foreground, center distances and boundary distances: 1 x 3 x H x W float32."""
        embeddings, input_size = self.encode(image)
        return self.decoder(embeddings, input_size, (int(image.shape[-2]), int(image.shape[-1])))

    @torch.no_grad()
    def forward(self, image: torch.Tensor) -> torch.Tensor:
        if image.ndim != 4 or image.shape[0] != 1 or image.shape[1] != 3:
            raise ValueError(f"image must be 1 x 3 x H x W (one RGB image), got {tuple(image.shape)}")
        maps = self.predict_maps(image)[0].cpu().numpy()
        labels = watershed_labels(maps, self.params)
        return torch.from_numpy(labels)[None, None]
