"""The builder: turn a SAM checkpoint into a byte-reproducible BioImage.IO model package.

``build_package(name, checkpoint, ...) -> BuildResult`` (:mod:`.build`: the stages every build runs,
choosing the package kind). One module per kind, each with the same named stages (``run_model``,
``stage_files``, ``describe``) and one :class:`~.package_kind.PackageKind` of its facts:
:mod:`.interactive` (prompts in, masks out; rdf: :mod:`.interactive_rdf`) and :mod:`.automatic`
(instance segmentation from the image alone; rdf: :mod:`.automatic_rdf`; model: :mod:`.ais_model`).
What both kinds do the same way: :mod:`.forward_pass` (weights written during the pass),
:mod:`.package_files` (staged files, rdf.yaml), :mod:`.rdf` (the rdf's common parts), :mod:`.docs`,
:mod:`.cover`, :mod:`.sample_inputs` (test image, labels, prompts), :mod:`.versioning`,
:mod:`.output`, :mod:`.staging`, :mod:`.zipwrite`, :mod:`.determinism`, :mod:`.lowmem`.
Other weight formats (TorchScript, the ONNX prompt decoder): :mod:`.exports`. The architecture
files shipped in packages live in ``samzoo.architectures``. Nothing here runs at import time.
"""

from .build import build_package
from .context import BuildResult

__all__ = ["BuildResult", "build_package"]
