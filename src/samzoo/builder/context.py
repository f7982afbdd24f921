"""The build context: what the stages of ``build_package`` share, and what a build returns."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..catalog import Catalog, ModelSpec
from ..plumbing.errors import SamzooError
from ..plumbing.hashing import file_hash
from .test_data import TestInputs
from .versioning import VersionDecision


@dataclass(frozen=True)
class BuildResult:
    """What a build produced."""

    path: Path
    sha256: str
    model_type: str
    encoder: str
    version: str
    rebuild: bool
    zoo_id: str | None
    size: int
    weights_size: int
    timings: tuple[tuple[str, float], ...]
    notes: tuple[str, ...] = field(default=())
    mode: str = "interactive"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "sha256": self.sha256, "model_type": self.model_type, "encoder": self.encoder,
            "version": self.version, "rebuild": self.rebuild, "zoo_id": self.zoo_id, "size": self.size,
            "weights_size": self.weights_size, "timings": dict(self.timings), "notes": list(self.notes),
            "mode": self.mode,
        }


class Timer:
    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.steps.append((name, round(now - self._t, 3)))
        self._t = now


@dataclass
class BuildContext:
    """The build context: the request, then what each stage adds (in stage order)."""

    spec: ModelSpec
    catalog: Catalog
    checkpoint: Path
    timer: Timer
    on_message: Callable[[str], None] | None
    on_stage: Callable[[str], None] | None = None
    cover_caption: str | None = None
    overwrite: bool = False  # replace a file at the output path that holds other bytes
    notes: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)  # alg -> the checkpoint file's hash
    # read_checkpoint
    state_dict: dict | None = None
    decoder_state: dict | None = None
    weight_formats: tuple[str, ...] = ("pytorch_state_dict",)
    # decide_mode: "interactive" (prompts) or "automatic" (AIS), its parameters and decoder variant; the exports
    mode: str = "interactive"
    format_plan: Any = None  # formats.FormatPlan
    extra_files: list[str] = field(default_factory=list)  # exports that passed their cross-check
    ais_params: dict = field(default_factory=dict)
    transposed: bool = False
    plain_checkpoint: bool = False  # the checkpoint file is a plain state dict (shipped as is in a rebuild)
    # decide_version
    decision: VersionDecision | None = None
    # model_and_test_data
    sam: Any = None
    tests: TestInputs | None = None
    # encoder_pass: tensor id -> array, for the computed outputs (embeddings, masks, scores)
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    # seal
    weights_size: int = 0

    def stage(self, name: str) -> None:
        """Tell the caller which stage starts (for progress displays)."""
        if self.on_stage is not None:
            self.on_stage(name)

    def say(self, msg: str) -> None:
        self.notes.append(msg)
        if self.on_message is not None:
            self.on_message(msg)

    def checkpoint_hash(self, alg: str) -> str:
        """The checkpoint file's ``alg:hex`` hash, computed once per algorithm."""
        if alg not in self.hashes:
            self.hashes[alg] = file_hash(self.checkpoint, alg)
        return self.hashes[alg]

    @property
    def weights_file(self) -> str:
        return f"{self.spec.encoder}.pt"

    @property
    def decoder_file(self) -> str | None:
        """The decoder attachment of an interactive package (an AIS package holds it in its weights file)."""
        if self.decoder_state is None or self.mode == "automatic":
            return None
        return f"{self.spec.encoder}_decoder.pt"

    def samzoo_config(self) -> dict[str, Any]:
        """``config.samzoo`` of rdf.yaml."""
        spec, decision = self.spec, self.decision
        return {
            "model_type": spec.model_type,
            "encoder": spec.encoder,
            "domain": spec.domain,
            "mode": self.mode,
            "catalog_version": decision.matched.version if decision.matched else None,
            "rebuild_of_published_weights": decision.rebuild,
            # the content's hash, not the file's name: the package depends only on what the weights are
            "source_checkpoint_xxh128": self.checkpoint_hash("xxh128").split(":", 1)[1],
            "test_image": self.tests.source,
        }


def save_weights(state: dict, path: Path, errors: list[BaseException], verbatim: Path | None = None) -> None:
    import torch

    try:
        if verbatim is not None:
            shutil.copyfile(verbatim, path)
        else:
            torch.save(state, path)
    except BaseException as e:  # reported by the caller
        errors.append(e)


def torch_version() -> str:
    import torch

    return torch.__version__.split("+")[0]


#: bioimageio.spec refuses an output test tensor whose values all lie within this of 0 ("too small for reliable testing")
UNTESTABLE_BELOW = 1e-4


def check_testable_outputs(outputs: dict[str, np.ndarray], source: str) -> None:
    """A one-line SamzooError when an output test tensor is all (near) zero: no prompt found an object, nothing to test."""
    for name, array in outputs.items():
        if array.size == 0 or (array.min() > -UNTESTABLE_BELOW and array.max() < UNTESTABLE_BELOW):
            raise SamzooError(
                f"the model's test output {name!r} is all zero on the test image ({source}): it finds no object there; "
                "pass an image (and labels) with objects of the model's domain, or check the weights"
            )
