"""The builder: turn a SAM checkpoint into a byte-reproducible BioImage.IO model package.

``build_package(name, checkpoint, ...) -> BuildResult``. Modules: ``package``
(the stages), ``lowmem`` (memory-lean encoder pass), ``determinism`` (test
outputs independent of the thread count), ``test_data`` (test image, labels,
prompts), ``cover``, ``docs``, ``rdf`` (rdf.yaml), ``versioning``,
``zipwrite``, ``formats`` (TorchScript weights and the ONNX prompt decoder, made by
``export_worker`` in a fresh process with ``torchscript``, and cross-checked). The architecture file shipped in every package lives in
``samzoo.architectures``. Nothing here runs at import time.
"""

from .package import BuildResult, build_package

__all__ = ["BuildResult", "build_package"]
