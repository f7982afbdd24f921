"""``build_package``: a SAM checkpoint and a catalog name in, a byte-reproducible BioImage.IO package out.

The build is a short sequence of named stages that share one build context
(:class:`_Build`): read checkpoint -> decide version -> model and test data ->
one encoder pass (the weights are written meanwhile) -> stage files ->
describe -> seal. All files are staged in a temporary folder next to the
output, zipped into a temporary file and renamed onto the output path at the
end, so a failed or interrupted build leaves nothing at the output path.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np

from ..architectures import SAM_ADAPTOR
from ..catalog import Catalog, ModelRef, ModelSpec, load_catalog
from ..checkpoint import CheckpointError, load_checkpoint, load_state_dict_file
from ..errors import ArgumentError, SamzooError
from ..hashing import file_digest, file_hash
from . import rdf as rdf_mod
from .cover import cover_png
from .determinism import one_thread, thread_independent
from .docs import documentation
from .test_data import TestInputs, load_test_inputs
from .versioning import VersionDecision, decide_version
from .zipwrite import write_zip

#: tensor id -> test-tensor file (input and output ``embeddings`` share one file)
TEST_TENSOR_FILES = {
    "image": "test_input_image.npy", "box_prompts": "test_input_box_prompts.npy",
    "point_prompts": "test_input_point_prompts.npy", "point_labels": "test_input_point_labels.npy",
    "mask_prompts": "test_input_mask_prompts.npy", "embeddings": "test_embeddings.npy",
    "masks": "test_output_masks.npy", "scores": "test_output_scores.npy",
}


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "sha256": self.sha256, "model_type": self.model_type, "encoder": self.encoder,
            "version": self.version, "rebuild": self.rebuild, "zoo_id": self.zoo_id, "size": self.size,
            "weights_size": self.weights_size, "timings": dict(self.timings), "notes": list(self.notes),
        }


class _Timer:
    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.steps.append((name, round(now - self._t, 3)))
        self._t = now


@dataclass
class _Build:
    """The build context: the request, then what each stage adds (in stage order)."""

    spec: ModelSpec
    catalog: Catalog
    checkpoint: Path
    timer: _Timer
    on_message: Callable[[str], None] | None
    notes: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)  # alg -> the checkpoint file's hash
    # read_checkpoint
    state_dict: dict | None = None
    decoder_state: dict | None = None
    # decide_version
    decision: VersionDecision | None = None
    # model_and_test_data
    sam: Any = None
    tests: TestInputs | None = None
    # encoder_pass: tensor id -> array, for the computed outputs (embeddings, masks, scores)
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    # seal
    weights_size: int = 0

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
        return f"{self.spec.encoder}_decoder.pt" if self.decoder_state is not None else None


def default_output(model_type: str, nickname: str | None, version: str) -> Path:
    """``<nickname or model_type>-<version>.zip`` (in the current folder, or in ``output`` when that is a folder)."""
    return Path(f"{nickname or model_type}-{version}.zip")


def build_package(
    name: str,
    checkpoint: str | Path,
    *,
    decoder: str | Path | None = None,
    image: str | Path | None = None,
    labels: str | Path | None = None,
    output: str | Path | None = None,
    version: str | None = None,
    force: bool = False,
    catalog: Catalog | None = None,
    on_message: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build the BioImage.IO package of catalog model ``name`` from the SAM weights in ``checkpoint``.

    A pure function of its inputs: the same inputs give a byte-identical zip. Raises
    :class:`SamzooError` (one line) for bad inputs; never leaves a file at the output path on failure.
    """
    timer = _Timer()
    catalog = catalog or load_catalog()
    ref = catalog.lookup(name)
    if output is not None and not Path(output).is_dir() and not Path(output).parent.is_dir():
        raise ArgumentError("output", f"folder {Path(output).parent} does not exist; create it first")
    b = _Build(spec=ref.spec, catalog=catalog, checkpoint=Path(checkpoint), timer=timer, on_message=on_message)
    _read_checkpoint(b, decoder)
    _decide_version(b, ref, version, force)
    _model_and_test_data(b, image, labels)
    out_path = _output_path(b, output)
    with _staging(out_path) as (staging, tmp_zip):
        _encoder_pass(b, staging)
        _stage_files(b, staging)
        _describe(b, staging)
        digest = _seal(b, staging, tmp_zip, out_path)
    spec, decision = b.spec, b.decision
    return BuildResult(
        path=out_path, sha256=digest, model_type=spec.model_type, encoder=spec.encoder, version=decision.version,
        rebuild=decision.rebuild, zoo_id=f"{spec.nickname}/{decision.version}" if spec.nickname else None,
        size=out_path.stat().st_size, weights_size=b.weights_size, timings=tuple(timer.steps), notes=tuple(b.notes),
    )


# --- stages, in order ------------------------------------------------------------------------------

def _read_checkpoint(b: _Build, decoder: str | Path | None) -> None:
    """The SAM weights (their encoder must be the model's) and the instance-segmentation decoder, if any."""
    spec = b.spec
    ckpt = load_checkpoint(b.checkpoint)
    if ckpt.encoder != spec.encoder:
        raise SamzooError(
            f"{b.checkpoint} holds {ckpt.encoder} weights but {spec.model_type} is a {spec.encoder} model; "
            f"pass a {spec.encoder} checkpoint or a {ckpt.encoder} model name"
        )
    decoder_state = ckpt.decoder_state
    if decoder is not None:
        decoder_state = load_state_dict_file(decoder)
        if ckpt.decoder_state is not None:
            b.say(f"using the decoder from {decoder}, not the one inside {b.checkpoint.name}")
    if decoder_state is not None and not decoder_state:
        raise CheckpointError(f"{decoder or b.checkpoint}: the decoder state is empty; pass the decoder weights")
    b.state_dict, b.decoder_state = ckpt.state_dict, decoder_state
    b.timer.lap("load checkpoint")


def _decide_version(b: _Build, ref: ModelRef, requested: str | None, force: bool) -> None:
    """A rebuild of published weights keeps their zoo version; other weights are a new release."""
    b.decision = decide_version(ref, b.checkpoint_hash, requested, force)
    b.say(b.decision.message)
    b.timer.lap("hash and version")


def _model_and_test_data(b: _Build, image: str | Path | None, labels: str | Path | None) -> None:
    """The Sam module holding the weights, and the test image, labels and prompts."""
    from ..models import build_sam

    b.sam = build_sam(b.spec.encoder, b.state_dict)
    b.tests = load_test_inputs(b.spec.domain, image, labels)
    b.timer.lap("model and test inputs")


def _encoder_pass(b: _Build, staging: Path) -> None:
    """The one encoder pass and the prompted masks and scores; the weights are written meanwhile."""
    import torch

    from ..architectures.sam_adaptor import SamAdaptor
    from .lowmem import low_memory_attention

    tests = b.tests
    save_errors: list[BaseException] = []
    saver = threading.Thread(target=_save_weights, args=(b.state_dict, staging / b.weights_file, save_errors))
    saver.start()  # I/O next to compute
    try:
        adaptor = SamAdaptor(b.spec.encoder, sam=b.sam).eval()
        with torch.inference_mode(), low_memory_attention(b.sam), thread_independent():
            embeddings = adaptor.encode(torch.from_numpy(tests.image_bchw))
            with one_thread():  # the decoder's skinny matrix products split their sums by thread
                masks, scores = adaptor.decode(
                    embeddings, tuple(tests.image.shape[:2]),
                    torch.from_numpy(tests.box_prompts), torch.from_numpy(tests.point_prompts),
                    torch.from_numpy(tests.point_labels), torch.from_numpy(tests.mask_prompts),
                )
    finally:
        saver.join()  # before anything removes the folder it writes into
    if save_errors:
        raise SamzooError(f"cannot write the weights into {staging} ({save_errors[0]}); check free disk space")
    b.outputs = {"embeddings": embeddings.numpy(), "masks": masks.numpy(), "scores": scores.numpy()}
    b.timer.lap("encoder pass and weights")


def _stage_files(b: _Build, staging: Path) -> None:
    """Every file of the package but rdf.yaml: decoder, test tensors, cover, documentation, environment, architecture."""
    import torch

    spec, tests = b.spec, b.tests
    if b.decoder_state is not None:
        torch.save(b.decoder_state, staging / b.decoder_file)
    arrays = {
        "image": tests.image_bchw, "box_prompts": tests.box_prompts, "point_prompts": tests.point_prompts,
        "point_labels": tests.point_labels, "mask_prompts": tests.mask_prompts, **b.outputs,
    }
    for key, fname in TEST_TENSOR_FILES.items():
        np.save(staging / fname, np.ascontiguousarray(arrays[key]), allow_pickle=False)
    (staging / "cover.png").write_bytes(cover_png(tests.image, arrays["masks"][0, :, 0], tests.box_prompts))
    (staging / "documentation.md").write_text(
        documentation(spec, b.catalog, b.decision.version, tests.source, len(tests.object_ids), b.decoder_state is not None),
        encoding="utf-8",
    )
    (staging / "environment.yaml").write_text(rdf_mod.environment_yaml(spec.encoder), encoding="utf-8")
    shutil.copyfile(SAM_ADAPTOR, staging / rdf_mod.ARCHITECTURE_FILE)
    b.timer.lap("test data, cover, docs")


def _describe(b: _Build, staging: Path) -> None:
    """rdf.yaml, from the catalog and the staged files' hashes, validated by bioimageio.spec."""
    spec, decision = b.spec, b.decision
    samzoo_config = {
        "model_type": spec.model_type,
        "encoder": spec.encoder,
        "domain": spec.domain,
        "catalog_version": decision.matched.version if decision.matched else None,
        "rebuild_of_published_weights": decision.rebuild,
        # the content's hash, not the file's name: the package depends only on what the weights are
        "source_checkpoint_xxh128": b.checkpoint_hash("xxh128").split(":", 1)[1],
        "test_image": b.tests.source,
    }
    description = rdf_mod.model_rdf(rdf_mod.RdfInputs(
        spec=spec, version=decision.version, files=TEST_TENSOR_FILES,
        sha={p.name: file_digest(p) for p in sorted(staging.iterdir())},
        weights_file=b.weights_file, decoder_file=b.decoder_file, torch_version=_torch_version(),
        samzoo_config=samzoo_config, scores_max=float(b.outputs["scores"].max()),
        embeddings_max=float(abs(b.outputs["embeddings"]).max()),
    ))
    rdf_mod.validate_rdf(description, staging)
    (staging / "rdf.yaml").write_text(rdf_mod.dump_rdf(description), encoding="utf-8")
    b.timer.lap("describe and validate")


def _seal(b: _Build, staging: Path, tmp_zip: Path, out_path: Path) -> str:
    """Zip the staged files and rename the zip onto the output path; returns its sha256."""
    write_zip(tmp_zip, [(p.name, p) for p in staging.iterdir()])
    digest = file_digest(tmp_zip)
    os.replace(tmp_zip, out_path)
    b.timer.lap("zip")
    b.weights_size = (staging / b.weights_file).stat().st_size
    return digest


# --- helpers --------------------------------------------------------------------------------------

def _output_path(b: _Build, output: str | Path | None) -> Path:
    """The package path: ``output`` itself, or the default name inside the folder ``output`` or here."""
    out_path = default_output(b.spec.model_type, b.spec.nickname, b.decision.version)
    if output is not None:
        out_path = Path(output) / out_path if Path(output).is_dir() else Path(output)
    return out_path.absolute()


@contextlib.contextmanager
def _staging(out_path: Path) -> Iterator[tuple[Path, Path]]:
    """A staging folder and a temporary zip name next to ``out_path``; both gone afterwards, whatever happens."""
    staging = Path(tempfile.mkdtemp(prefix=f".{out_path.name}.", suffix=".build", dir=out_path.parent))
    tmp_zip = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    try:
        yield staging, tmp_zip
    finally:
        tmp_zip.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)


def _save_weights(state: dict, path: Path, errors: list[BaseException]) -> None:
    import torch

    try:
        torch.save(state, path)
    except BaseException as e:  # reported by the caller
        errors.append(e)


def _torch_version() -> str:
    import torch

    return torch.__version__.split("+")[0]
