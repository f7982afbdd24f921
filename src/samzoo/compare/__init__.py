"""``compare``: what package B changes against package A (``samzoo diff``): metadata, files, weights and behaviour.

Modules by job: ``package_side`` (open a zip or folder, untrusted), ``metadata_changes`` (rdf fields),
``file_changes`` (added/removed/changed, sha256), ``weight_changes`` (state-dict keys, shapes, relative L2
per SAM module), ``behaviour_changes`` (both models on the same inputs, through bioimageio.core),
``mask_metrics`` (IoU, ARI, cosine), ``diff_result`` (the frozen result), ``compare_packages``
(:func:`diff_packages`), and the renderers ``text_render``, ``markdown_render``, ``html_render``.
Names are imported when first used.
"""

from importlib import import_module
from typing import Any

_LAZY = {
    **dict.fromkeys(("CompareOptions", "diff_packages"), ".compare_packages"),
    **dict.fromkeys(("PackageDiff",), ".diff_result"),
    "render_text": ".text_render",
    "render_markdown": ".markdown_render",
    "render_html": ".html_render",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'samzoo.compare' has no attribute {name!r}")
    return getattr(import_module(_LAZY[name], __name__), name)
