"""Small side-by-side pictures for the HTML diff: A's mask over the image, B's, and where they differ, as PNG data URIs."""

from __future__ import annotations

import base64
import io

import numpy as np

MAX_SIDE = 256


def overlays(image: np.ndarray, mask_a: np.ndarray, mask_b: np.ndarray) -> tuple[str, str, str]:
    """(A over the image, B over the image, A xor B) as ``data:image/png;base64,...`` URIs.

    ``image``: (C, H, W) or (H, W); masks: (H, W), binary or labels (anything non-zero is foreground)."""
    grey = _grey(image)
    a, b = mask_a != 0, mask_b != 0
    only_a, only_b = a & ~b, b & ~a
    diff = np.stack([grey // 3] * 3, axis=-1)
    diff[only_a] = (230, 60, 60)
    diff[only_b] = (60, 120, 230)
    return _png(_tint(grey, a, (255, 170, 0))), _png(_tint(grey, b, (0, 200, 255))), _png(diff)


def _grey(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 3:
        img = img.mean(axis=0)
    lo, hi = np.percentile(img, (1, 99)) if img.size else (0, 1)
    scaled = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    return (np.clip(scaled, 0, 1) * 255).astype(np.uint8)


def _tint(grey: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    rgb = np.stack([grey] * 3, axis=-1).astype(np.float64)
    rgb[mask] = 0.45 * rgb[mask] + 0.55 * np.asarray(colour, dtype=np.float64)
    return rgb.astype(np.uint8)


def _png(rgb: np.ndarray) -> str:
    from PIL import Image

    img = Image.fromarray(rgb)
    scale = MAX_SIDE / max(img.size)
    if scale < 1:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
