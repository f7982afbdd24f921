"""The files every package kind stages the same way: test and sample tensors, cover, documentation, environment, architecture,
rdf.yaml."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..plumbing.hashing import file_digest
from . import rdf as rdf_mod
from .sample_tensors import save_sample_tensors

if TYPE_CHECKING:
    from .context import BuildContext
    from .package_kind import PackageKind


def save_test_tensors(staging: Path, kind: PackageKind, arrays: Mapping[str, np.ndarray]) -> dict[str, str]:
    """Each test tensor of the kind (tensor id -> array) as the .npy file the kind names, and its sample tensor
    (:mod:`.sample_tensors`); returns tensor id -> sample-tensor file."""
    for key, fname in kind.test_tensor_files.items():
        np.save(staging / fname, np.ascontiguousarray(arrays[key]), allow_pickle=False)
    return save_sample_tensors(staging, kind.sample_tensors, arrays)


def write_common_files(b: BuildContext, staging: Path, kind: PackageKind, cover: bytes, documentation: str) -> None:
    """``cover.png``, ``documentation.md``, ``environment.yaml`` and the kind's architecture file."""
    (staging / "cover.png").write_bytes(cover)
    (staging / "documentation.md").write_text(documentation, encoding="utf-8")
    environment = rdf_mod.environment_yaml(b.spec.encoder, kind.environment_name, kind.extra_pip)
    (staging / "environment.yaml").write_text(environment, encoding="utf-8")
    shutil.copyfile(kind.architecture_source, staging / kind.architecture_file)
    b.timer.lap("test data, cover, docs")


def staged_hashes(staging: Path) -> dict[str, str]:
    """File name -> sha256 of every staged file."""
    return {p.name: file_digest(p) for p in sorted(staging.iterdir())}


def write_rdf(b: BuildContext, staging: Path, description: dict[str, Any]) -> None:
    """Validate the description with bioimageio.spec and write it as rdf.yaml (saying what the catalog's metadata lacks)."""
    for note in rdf_mod.metadata_notes(b.spec):
        b.say(note)
    rdf_mod.validate_rdf(description, staging)
    (staging / "rdf.yaml").write_text(rdf_mod.dump_rdf(description), encoding="utf-8")
    b.timer.lap("describe and validate")
