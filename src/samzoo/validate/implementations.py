"""Whether outputs that differ from a package's test outputs are explained by the ``segment_anything`` implementation.

Every check that compares outputs (``inference``, ``weight_formats``, ``encoder``) asks the same
question before it blames the package: do they match once ``segment_anything`` behaves as the
implementation that is *not* installed here (PyPI ``segment-anything`` 1.0 vs the fork
``segment-anything-py`` 1.0.1, see :mod:`.sam_variants`)? The two differ in one line that matters,
``ResizeLongestSide.apply_image_torch``: PyPI's takes the target size from ``shape[0], shape[1]`` of a
B x C x H x W batch, so one RGB image (1 x 3 x H x W) is resized to 341 x 1024 instead of to the
longest side 1024, and the image encoder sees another picture (every embedding differs). micro-sam
declares the fork, so every package its ``export_sam_model`` writes carries test outputs made under it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from . import sam_variants

T = TypeVar("T")

#: what the two implementations do differently, in one clause
DIFFERENCE = (
    "their ResizeLongestSide.apply_image_torch differ (PyPI segment-anything 1.0 reads shape[0], shape[1] of a "
    "B x C x H x W batch: one RGB image is resized to 341 x 1024 instead of its longest side to 1024)"
)


@dataclass(frozen=True)
class ImplementationCause:
    """The test outputs were made under ``made_under``; ``installed`` is the implementation installed here."""

    made_under: str
    installed: str

    def describe(self) -> str:
        """One clause naming both implementations and what they do differently."""
        return f"the test outputs were made under {self.made_under}, and {self.installed} is installed here: {DIFFERENCE}"


def under_other_implementation(run: Callable[[], T]) -> tuple[ImplementationCause, T] | None:
    """``run()``'s result with ``segment_anything`` behaving as the implementation not installed here.

    None when the package's code does not use ``segment_anything`` (not imported), it is not
    installed, or ``run`` raises under the other implementation. The caller judges the result:
    when it matches the test outputs, :class:`ImplementationCause` is the cause of the difference.
    """
    if "segment_anything" not in sys.modules:  # the architecture does not use it
        return None
    installed = sam_variants.installed_behaviour()
    if installed is None:
        return None
    made_under = sam_variants.other(installed)
    try:
        with sam_variants.resize_as(made_under):
            result = run()
    except Exception:
        return None
    return ImplementationCause(made_under, installed), result


def explain(matches: Callable[[], bool]) -> ImplementationCause | None:
    """The implementation cause when ``matches()`` is true under the other implementation, else None."""
    got = under_other_implementation(matches)
    return got[0] if got is not None and got[1] else None
