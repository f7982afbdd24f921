"""The package cover: predicted masks over the test image (PNG, 1:1, at most 512 pixels a side).

Masks are tinted in one colour per object; the box prompts are drawn in white with a black rim,
a colour no mask has, so prompt and prediction are told apart. An optional caption (e.g. "random
weights") is written on a dark band at the top.
"""

from __future__ import annotations

import io

import numpy as np

MAX_SIDE = 512
MAX_BYTES = 500_000
_COLOURS = np.array([[255, 64, 64], [64, 160, 255], [255, 200, 0], [64, 220, 120]], dtype=np.float32)
PROMPT_COLOUR = np.array([255, 255, 255], dtype=np.float32)
_PROMPT_RIM = np.array([0, 0, 0], dtype=np.float32)


def _square(a: np.ndarray) -> np.ndarray:
    """Pad (with black) to a square so the cover is 1:1 whatever the image's aspect."""
    h, w = a.shape[:2]
    side = max(h, w)
    out = np.zeros((side, side, *a.shape[2:]), dtype=a.dtype)
    top, left = (side - h) // 2, (side - w) // 2
    out[top:top + h, left:left + w] = a
    return out


def overlay(image: np.ndarray, masks: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8: ``image`` with each mask (O x H x W) tinted and outlined, and its box prompt drawn."""
    from scipy import ndimage

    out = image.astype(np.float32)
    for i, mask in enumerate(masks.astype(bool)):
        colour = _COLOURS[i % len(_COLOURS)]
        out[mask] = 0.55 * out[mask] + 0.45 * colour
        edge = mask & ~ndimage.binary_erosion(mask, iterations=2)
        out[edge] = colour
    h, w = image.shape[:2]
    t = max(1, min(h, w) // 200)
    for x0, y0, x1, y1 in np.asarray(boxes).reshape(-1, 4):
        x0, x1 = np.clip([x0, x1], 0, w - 1)
        y0, y1 = np.clip([y0, y1], 0, h - 1)
        _frame(out, (x0 - t, y0 - t, x1 + t, y1 + t), t, _PROMPT_RIM)  # a dark rim keeps white visible on bright images
        _frame(out, (x0, y0, x1, y1), t, PROMPT_COLOUR)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _frame(out: np.ndarray, box: tuple[int, int, int, int], t: int, colour: np.ndarray) -> None:
    """A ``t``-pixel frame around ``box`` (x0, y0, x1, y1), clipped to the picture."""
    x0, y0, x1, y1 = box
    h, w = out.shape[:2]
    x0, x1 = max(int(x0), 0), min(int(x1), w - 1)
    y0, y1 = max(int(y0), 0), min(int(y1), h - 1)
    out[y0:y0 + t, x0:x1 + 1] = colour
    out[max(y1 - t + 1, 0):y1 + 1, x0:x1 + 1] = colour
    out[y0:y1 + 1, x0:x0 + t] = colour
    out[y0:y1 + 1, max(x1 - t + 1, 0):x1 + 1] = colour


def _caption(picture, text: str):
    """``picture`` with ``text`` in white on a dark band across its top."""
    from PIL import ImageDraw, ImageFont

    side = picture.size[0]
    size = max(10, side // 28)
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        font = ImageFont.load_default()
    draw = ImageDraw.Draw(picture)
    draw.rectangle([0, 0, side, size + size // 2], fill=(0, 0, 0))
    draw.text((size // 3, size // 6), text, fill=(255, 255, 255), font=font)
    return picture


def cover_png(image: np.ndarray, masks: np.ndarray, boxes: np.ndarray, caption: str | None = None) -> bytes:
    """PNG bytes of the cover (deterministic: no timestamps or text chunks); ``caption`` on a band at the top."""
    from PIL import Image

    full = Image.fromarray(_square(overlay(image, masks, boxes)))
    side = min(full.size[0], MAX_SIDE)
    while True:  # noisy masks compress badly: shrink until under MAX_BYTES
        picture = full if side == full.size[0] else full.resize((side, side), Image.Resampling.LANCZOS)
        if caption:
            picture = _caption(picture.copy(), caption)
        buf = io.BytesIO()
        picture.save(buf, format="PNG", optimize=False, compress_level=9)
        if buf.tell() < MAX_BYTES or side <= 64:
            return buf.getvalue()
        side = side * 3 // 4
