"""What tells the package kinds apart: one frozen :class:`PackageKind` per kind (``interactive``, ``automatic``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from .sample_tensors import View


@dataclass(frozen=True)
class PackageKind:
    """The fixed facts of one package kind; its stages live in the module of the same name."""

    name: str  # "interactive" (prompts in, masks out) or "automatic" (instance segmentation from the image alone)
    title: str  # how messages name a package of this kind
    suffix: str  # the default file name's mark (the two kinds of one model never share a default name)
    test_tensor_files: Mapping[str, str]  # tensor id -> test-tensor file
    sample_tensors: Mapping[str, tuple[str, View]]  # tensor id -> (sample-tensor file stem, how it is shown)
    architecture_file: str  # the architecture file's name inside the package
    architecture_callable: str
    architecture_source: Path  # the file shipped (samzoo.architectures)
    environment_name: str  # environment.yaml's name, before the encoder's
    extra_pip: tuple[str, ...] = ()  # pip requirements beyond the encoder's
    min_side: int = 8  # the smallest test image side the package accepts

    def __post_init__(self) -> None:
        object.__setattr__(self, "test_tensor_files", MappingProxyType(dict(self.test_tensor_files)))
        object.__setattr__(self, "sample_tensors", MappingProxyType(dict(self.sample_tensors)))
