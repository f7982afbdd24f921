"""The two ``segment_anything`` implementations, told apart by behaviour, and a switch to the other one.

PyPI ``segment-anything`` 1.0 and the fork ``segment-anything-py`` (same module
name) differ in ``ResizeLongestSide.apply_image_torch``: PyPI's reads
``shape[0], shape[1]`` of a B x C x H x W batch (so 1 x 3 x 512 x 512 becomes
1 x 3 x 341 x 1024), the fork's reads H and W. An architecture that resizes
with it (micro-sam's ``PredictorAdaptor``) gives other masks under the other
implementation. :func:`resize_as` makes the installed module behave like either,
for as long as the ``with`` block lasts, so a failed reproduction can be re-run
to name this cause.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

PYPI = "segment-anything"
FORK = "segment-anything-py"


def _resize(self, image, fork: bool):
    import torch.nn.functional as F

    h, w = (image.shape[2], image.shape[3]) if fork else (image.shape[0], image.shape[1])
    target = self.get_preprocess_shape(h, w, self.target_length)
    return F.interpolate(image, target, mode="bilinear", align_corners=False, antialias=True)


def installed_behaviour() -> str | None:
    """:data:`PYPI` or :data:`FORK`: how the installed ``segment_anything`` resizes (None when absent)."""
    try:
        import torch
        from segment_anything.utils.transforms import ResizeLongestSide
    except ImportError:
        return None
    out = ResizeLongestSide(1024).apply_image_torch(torch.zeros(1, 3, 64, 32))
    return FORK if tuple(out.shape[-2:]) == (1024, 512) else PYPI


@contextlib.contextmanager
def resize_as(kind: str) -> Iterator[None]:
    """Within the block, ``ResizeLongestSide.apply_image_torch`` behaves as ``kind`` (:data:`PYPI` or :data:`FORK`)."""
    from segment_anything.utils.transforms import ResizeLongestSide

    original = ResizeLongestSide.__dict__["apply_image_torch"]
    fork = kind == FORK
    ResizeLongestSide.apply_image_torch = lambda self, image: _resize(self, image, fork)
    try:
        yield
    finally:
        ResizeLongestSide.apply_image_torch = original


def other(kind: str) -> str:
    return FORK if kind == PYPI else PYPI
