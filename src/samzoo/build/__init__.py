"""The builder: turn a SAM checkpoint into a byte-reproducible BioImage.IO model package.

``build_package(name, checkpoint, ...) -> BuildResult``. Modules: ``package``
(the steps), ``sam_adaptor`` (the architecture file shipped in every package),
``lowmem`` (memory-lean encoder pass), ``test_data`` (test image, labels,
prompts), ``cover``, ``docs``, ``rdf`` (rdf.yaml), ``versioning``, ``zipwrite``.
Nothing here runs at import time.
"""

from .package import BuildResult, build_package

__all__ = ["BuildResult", "build_package"]
