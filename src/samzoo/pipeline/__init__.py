"""The pipeline: what runs the tools together.

``catalog_builds``: build (and validate) every selected catalog model into one folder (``build_all``).
``publishing``: validate a package, check it against the newest spec, then publish it as a draft (``publish``).
``diffing``: what one package changes against another, from any source (``diff``).
``releasing``: publish exactly the built models whose package changed since what is recorded as on the zoo.
Names are imported when first used (``samzoo publish`` never imports the builder).
"""

from importlib import import_module
from typing import Any

_LAZY = {
    **dict.fromkeys(("BuildRecord", "Selection", "build_all", "fingerprint", "read_index", "write_index"), ".catalog_builds"),
    **dict.fromkeys(("PublishOutcome", "publish"), ".publishing"),
    **dict.fromkeys(("ReleaseRecord", "release"), ".releasing"),
    "diff": ".diffing",
}

__all__ = ["BuildRecord", "PublishOutcome", "ReleaseRecord", "Selection", "build_all", "diff", "fingerprint", "publish", "read_index", "release",
           "write_index"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'samzoo.pipeline' has no attribute {name!r}")
    return getattr(import_module(_LAZY[name], __name__), name)
