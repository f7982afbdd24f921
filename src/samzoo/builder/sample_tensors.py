"""Sample tensors (rdf ``sample_tensor``): a file a person can look at for every input and output, deterministic bytes.

bioimageio.spec (0.5.12 to 0.5.14) reads a sample tensor with imageio (``.npy`` is refused) and checks only
its number of dimensions, squeezed, against the tensor's axes; bioimageio.core's ``predict --example`` feeds
the inputs' sample tensors to the model, fitting their axes to the declared ones by permutation. Hence:

- ``image``: the test image as an 8-bit RGB PNG (H x W x 3, the test tensor's values);
- ``masks``: an 8-bit PNG label map (0 background, object k where its mask is set; a later object covers an
  earlier one where masks overlap), 16 bits when there are more than 255 objects;
- ``labels``: the instance labels as an 8- or 16-bit PNG (a TIFF of uint32 beyond 65535 objects);
- ``values`` (prompts, scores, embeddings): a TIFF with the test tensor's exact values, dtype and shape.

PNGs carry no time or text chunks and TIFFs no date, so two builds write the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np

from ..plumbing.errors import InternalError

#: how a tensor is shown: see the module's docstring
View = Literal["image", "masks", "labels", "values"]


def image_rgb(image_bchw: np.ndarray) -> np.ndarray:
    """A 1 x 3 x H x W uint8 test image as H x W x 3."""
    return np.ascontiguousarray(np.asarray(image_bchw)[0].transpose(1, 2, 0))


def label_map(masks: np.ndarray) -> np.ndarray:
    """1 x O x 1 x H x W binary masks as one H x W map: 0 background, k where object k's mask is set (the last wins)."""
    masks = np.asarray(masks)
    stack = masks.reshape(-1, *masks.shape[-2:]).astype(bool)
    out = np.zeros(stack.shape[1:], np.uint32)
    for k, mask in enumerate(stack, start=1):
        out[mask] = k
    return out


def png_bytes(array: np.ndarray) -> bytes:
    """An H x W x 3 uint8 or H x W uint8/uint16 array as PNG, without metadata chunks."""
    from PIL import Image

    array = np.ascontiguousarray(array)
    if array.dtype == np.uint16:
        image = Image.frombytes("I;16", (array.shape[1], array.shape[0]), array.astype("<u2").tobytes())
    elif array.dtype == np.uint8 and array.ndim in (2, 3):
        image = Image.fromarray(array)
    else:
        raise InternalError(f"a sample PNG of dtype {array.dtype}, shape {array.shape}")
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def tiff_bytes(array: np.ndarray) -> bytes:
    """The array as a TIFF of its exact dtype and shape (tifffile's shape metadata; no date)."""
    import tifffile

    buf = io.BytesIO()
    tifffile.imwrite(buf, np.ascontiguousarray(array), photometric="minisblack")
    return buf.getvalue()


def _labels_file(labels: np.ndarray) -> tuple[str, bytes]:
    """2D labels as the smallest PNG that holds them, else a uint32 TIFF: (extension, bytes)."""
    top = int(labels.max()) if labels.size else 0
    if labels.size and int(labels.min()) < 0:
        raise InternalError("negative labels in a sample tensor")
    if top <= 0xFFFF:
        return ".png", png_bytes(labels.astype(np.uint8 if top <= 0xFF else np.uint16))
    return ".tif", tiff_bytes(labels.astype(np.uint32))


def sample_file(view: View, array: np.ndarray) -> tuple[str, bytes]:
    """The sample tensor of a test tensor ``array`` shown as ``view``: (file extension, bytes)."""
    if view == "image":
        return ".png", png_bytes(image_rgb(array))
    if view == "masks":
        return _labels_file(label_map(array))
    if view == "labels":
        return _labels_file(np.asarray(array).reshape(np.asarray(array).shape[-2:]))
    return ".tif", tiff_bytes(array)


def save_sample_tensors(staging: Path, views: Mapping[str, tuple[str, View]], arrays: Mapping[str, np.ndarray]) -> dict[str, str]:
    """Write each tensor's sample file (``views``: tensor id -> (file stem, view)); tensor id -> file name."""
    names: dict[str, str] = {}
    for tid, (stem, view) in views.items():
        ext, data = sample_file(view, arrays[tid])
        (staging / f"{stem}{ext}").write_bytes(data)
        names[tid] = f"{stem}{ext}"
    return names
