"""``build_package``: a SAM checkpoint and a catalog name in, a byte-reproducible BioImage.IO package out.

One encoder pass computes every test output and the cover. All files are
staged in a temporary folder next to the output, zipped into a temporary file
and renamed onto the output path at the end, so a failed or interrupted build
leaves nothing at the output path.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from ..catalog import Catalog, load_catalog
from ..checkpoint import CheckpointError, load_checkpoint, load_state_dict_file
from ..errors import SamzooError
from ..hashing import file_digest, file_hash
from . import rdf as rdf_mod
from .cover import cover_png
from .docs import documentation
from .test_data import load_test_inputs
from .versioning import decide_version
from .zipwrite import write_zip

ADAPTOR_SOURCE = Path(__file__).with_name("sam_adaptor.py")


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


def _npy(path: Path, array: np.ndarray) -> None:
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


def _torch_version() -> str:
    import torch

    return torch.__version__.split("+")[0]


def _save_weights(state: dict, path: Path, errors: list[BaseException]) -> None:
    import torch

    try:
        torch.save(state, path)
    except BaseException as e:  # reported by the caller
        errors.append(e)


@contextlib.contextmanager
def _thread_independent() -> Iterator[None]:
    """Run convolutions without oneDNN (mkldnn) while computing the test outputs.

    oneDNN's single-threaded convolution kernels round differently from its multi-threaded ones
    (TinyViT's 1x1 convolutions differ by ~3e-8 with 1 vs 2 threads), so the test outputs, and the
    package's sha256, would depend on the thread count (e.g. ``build --all --jobs 2``). PyTorch's
    own convolutions give the same bytes with 1 and 2 threads, at the same speed (measured on vit_t
    and vit_b). The mask decoder (milliseconds) runs on one thread for the same reason. Packages
    stay valid either way: bioimageio's reproduction test has a tolerance.
    """
    import torch

    with warnings.catch_warnings():  # torch warns about Intel-GPU TF32 whenever these flags are set
        warnings.simplefilter("ignore", UserWarning)
        context = torch.backends.mkldnn.flags(enabled=False)
        context.__enter__()
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            context.__exit__(None, None, None)


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Compute with one intra-op thread (for small products whose reduction order depends on threads)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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
    import torch

    notes: list[str] = []

    def say(msg: str) -> None:
        notes.append(msg)
        if on_message is not None:
            on_message(msg)

    timer = _Timer()
    catalog = catalog or load_catalog()
    ref = catalog.lookup(name)
    spec = ref.spec
    checkpoint = Path(checkpoint)
    if output is not None and not Path(output).is_dir() and not Path(output).parent.is_dir():
        raise SamzooError(f"output folder {Path(output).parent} does not exist; create it first")

    ckpt = load_checkpoint(checkpoint)
    if ckpt.encoder != spec.encoder:
        raise SamzooError(
            f"{checkpoint} holds {ckpt.encoder} weights but {spec.model_type} is a {spec.encoder} model; "
            f"pass a {spec.encoder} checkpoint or a {ckpt.encoder} model name"
        )
    decoder_state = ckpt.decoder_state
    if decoder is not None:
        decoder_state = load_state_dict_file(decoder)
        if ckpt.decoder_state is not None:
            say(f"using the decoder from {decoder}, not the one inside {checkpoint.name}")
    if decoder_state is not None and not decoder_state:
        raise CheckpointError(f"{decoder or checkpoint}: the decoder state is empty; pass the decoder weights")
    timer.lap("load checkpoint")

    hashes: dict[str, str] = {}

    def checkpoint_hash(alg: str) -> str:
        if alg not in hashes:
            hashes[alg] = file_hash(checkpoint, alg)
        return hashes[alg]

    decision = decide_version(ref, checkpoint_hash, version, force)
    say(decision.message)
    timer.lap("hash and version")

    from ..models import build_sam
    from .lowmem import low_memory_attention
    from .sam_adaptor import SamAdaptor

    sam = build_sam(spec.encoder, ckpt.state_dict)
    tests = load_test_inputs(spec.domain, image, labels)
    timer.lap("model and test inputs")

    out_path = default_output(spec.model_type, spec.nickname, decision.version)
    if output is not None:
        out_path = Path(output) / out_path if Path(output).is_dir() else Path(output)
    out_path = out_path.absolute()
    weights_file = f"{spec.encoder}.pt"
    decoder_file = f"{spec.encoder}_decoder.pt" if decoder_state is not None else None

    staging = Path(tempfile.mkdtemp(prefix=f".{out_path.name}.", suffix=".build", dir=out_path.parent))
    tmp_zip = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    saver: threading.Thread | None = None
    try:
        # weights are written while the encoder runs (I/O next to compute)
        save_errors: list[BaseException] = []
        saver = threading.Thread(target=_save_weights, args=(ckpt.state_dict, staging / weights_file, save_errors))
        saver.start()
        adaptor = SamAdaptor(spec.encoder, sam=sam).eval()
        with torch.inference_mode(), low_memory_attention(sam), _thread_independent():
            image_t = torch.from_numpy(tests.image_bchw)
            embeddings = adaptor.encode(image_t)
            with _one_thread():  # the decoder's skinny matrix products split their sums by thread
                masks, scores = adaptor.decode(
                    embeddings, tuple(tests.image.shape[:2]),
                    torch.from_numpy(tests.box_prompts), torch.from_numpy(tests.point_prompts),
                    torch.from_numpy(tests.point_labels), torch.from_numpy(tests.mask_prompts),
                )
        saver.join()
        if save_errors:
            raise SamzooError(f"cannot write the weights into {staging} ({save_errors[0]}); check free disk space")
        timer.lap("encoder pass and weights")
        if decoder_state is not None:
            torch.save(decoder_state, staging / decoder_file)

        files = {
            "image": "test_input_image.npy", "box_prompts": "test_input_box_prompts.npy",
            "point_prompts": "test_input_point_prompts.npy", "point_labels": "test_input_point_labels.npy",
            "mask_prompts": "test_input_mask_prompts.npy", "embeddings": "test_embeddings.npy",
            "masks": "test_output_masks.npy", "scores": "test_output_scores.npy",
        }
        arrays = {
            "image": tests.image_bchw, "box_prompts": tests.box_prompts, "point_prompts": tests.point_prompts,
            "point_labels": tests.point_labels, "mask_prompts": tests.mask_prompts,
            "embeddings": embeddings.numpy(), "masks": masks.numpy(), "scores": scores.numpy(),
        }
        for key, fname in files.items():
            _npy(staging / fname, arrays[key])
        (staging / "cover.png").write_bytes(cover_png(tests.image, arrays["masks"][0, :, 0], tests.box_prompts))
        (staging / "documentation.md").write_text(
            documentation(spec, catalog, decision.version, tests.source, len(tests.object_ids), decoder_state is not None),
            encoding="utf-8",
        )
        (staging / "environment.yaml").write_text(rdf_mod.environment_yaml(spec.encoder), encoding="utf-8")
        shutil.copyfile(ADAPTOR_SOURCE, staging / rdf_mod.ARCHITECTURE_FILE)
        timer.lap("test data, cover, docs")

        sha = {p.name: file_digest(p) for p in sorted(staging.iterdir())}
        samzoo_config = {
            "model_type": spec.model_type,
            "encoder": spec.encoder,
            "domain": spec.domain,
            "catalog_version": decision.matched.version if decision.matched else None,
            "rebuild_of_published_weights": decision.rebuild,
            # the content's hash, not the file's name: the package depends only on what the weights are
            "source_checkpoint_xxh128": checkpoint_hash("xxh128").split(":", 1)[1],
            "test_image": tests.source,
        }
        description = rdf_mod.model_rdf(spec, decision.version, files, sha, weights_file, decoder_file,
                                         _torch_version(), samzoo_config, float(scores.max()))
        rdf_mod.validate_rdf(description, staging)
        (staging / "rdf.yaml").write_text(rdf_mod.dump_rdf(description), encoding="utf-8")
        timer.lap("describe and validate")

        write_zip(tmp_zip, [(p.name, p) for p in staging.iterdir()])
        digest = file_digest(tmp_zip)
        os.replace(tmp_zip, out_path)
        timer.lap("zip")
        weights_size = (staging / weights_file).stat().st_size
    finally:
        if saver is not None:
            saver.join()  # before removing the folder it writes into
        tmp_zip.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)

    return BuildResult(
        path=out_path, sha256=digest, model_type=spec.model_type, encoder=spec.encoder, version=decision.version,
        rebuild=decision.rebuild, zoo_id=f"{spec.nickname}/{decision.version}" if spec.nickname else None,
        size=out_path.stat().st_size, weights_size=weights_size, timings=tuple(timer.steps), notes=tuple(notes),
    )
