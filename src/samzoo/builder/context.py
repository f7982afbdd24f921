"""The build context: what the stages of ``build_package`` share, and what a build returns."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..catalog import Catalog, ModelSpec
from ..plumbing.hashing import file_hash
from .exports.plan import FormatPlan
from .sample_inputs import SampleInputs
from .versioning import VersionDecision

if TYPE_CHECKING:  # torch loads when the build reads the checkpoint, not at import
    import torch

    from .exports.export_job import ExportJob


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


@dataclass(frozen=True, kw_only=True)
class BuildRequest:
    """What ``build_package`` was asked for, beyond the model and the checkpoint (see its arguments)."""

    decoder: str | Path | None = None
    image: str | Path | None = None
    labels: str | Path | None = None
    output: str | Path | None = None
    version: str | None = None
    force: bool = False
    mode: str | None = None
    ais_params: Mapping[str, Any] | None = None


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
    weight_formats: tuple[str, ...] = ("pytorch_state_dict",)
    exports: ExportJob | None = None  # the export worker, started first (interactive packages with extra formats)
    # read_checkpoint
    state_dict: dict[str, torch.Tensor] | None = None
    decoder_state: dict[str, torch.Tensor] | None = None
    plain_checkpoint: bool = False  # the checkpoint file is a plain state dict (shipped as is in a rebuild)
    # decide_kind: "interactive" (prompts) or "automatic" (AIS), its parameters and decoder variant; the exports
    mode: str = "interactive"
    format_plan: FormatPlan = field(default_factory=FormatPlan)
    extra_files: list[str] = field(default_factory=list)  # exports that passed their cross-check
    ais_params: dict[str, Any] = field(default_factory=dict)
    transposed: bool = False
    # decide_version
    decision: VersionDecision | None = None
    # model_and_samples
    sam: torch.nn.Module | None = None
    samples: SampleInputs | None = None
    # the kind's test_outputs: tensor id -> array, for the computed outputs (embeddings, masks, scores; labels)
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    # stage_files: tensor id -> its sample-tensor file (the file's extension depends on the data)
    sample_files: dict[str, str] = field(default_factory=dict)
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
            # an automatic package is given the image alone: the labels its prompts would come from are not its business
            "test_image": self.samples.image_source if self.mode == "automatic" else self.samples.source,
        }
