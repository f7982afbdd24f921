"""``build_package``: a SAM checkpoint and a catalog name in, a byte-reproducible BioImage.IO package out.

The build is a short sequence of named stages that share one build context
(:class:`BuildContext`): read checkpoint -> decide version -> model and test data ->
one encoder pass (the weights are written meanwhile) -> stage files ->
describe -> seal. All files are staged in a temporary folder next to the
output, zipped into a temporary file and renamed onto the output path at the
end, so a failed or interrupted build leaves nothing at the output path.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..architectures import SAM_ADAPTOR
from ..catalog import Catalog, ModelRef, load_catalog, zoo_id
from ..plumbing.errors import ArgumentError, RunTimeFailure, SamzooError
from ..plumbing.hashing import file_digest
from . import ais_package
from . import formats as formats_mod
from . import rdf as rdf_mod
from .context import BuildContext, BuildResult, Timer, check_testable_outputs, save_weights, torch_version
from .cover import cover_png
from .determinism import encoder_pass, one_thread
from .docs import documentation
from .staging import staging_next_to
from .test_data import load_test_inputs
from .versioning import decide_version
from .zipwrite import write_zip

#: tensor id -> test-tensor file (input and output ``embeddings`` share one file)
TEST_TENSOR_FILES = {
    "image": "test_input_image.npy", "box_prompts": "test_input_box_prompts.npy",
    "point_prompts": "test_input_point_prompts.npy", "point_labels": "test_input_point_labels.npy",
    "mask_prompts": "test_input_mask_prompts.npy", "embeddings": "test_embeddings.npy",
    "masks": "test_output_masks.npy", "scores": "test_output_scores.npy",
}


#: the file name's mark of each package kind (the two kinds of one model never share a default name)
KIND_SUFFIX = {"interactive": "", "automatic": "-ais"}


def default_output(model_type: str, nickname: str | None, version: str, mode: str = "interactive") -> Path:
    """``<nickname or model_type>-<version>.zip`` for an interactive package, ``...-<version>-ais.zip`` for an
    automatic one (in the current folder, or in ``output`` when that is a folder)."""
    return Path(f"{nickname or model_type}-{version}{KIND_SUFFIX[mode]}.zip")


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
    overwrite: bool = False,
    catalog: Catalog | None = None,
    on_message: Callable[[str], None] | None = None,
    mode: str | None = None,
    ais_params: Mapping[str, Any] | None = None,
    on_stage: Callable[[str], None] | None = None,
    cover_caption: str | None = None,
    weight_formats: str | Sequence[str] | None = None,
) -> BuildResult:
    """Build the BioImage.IO package of catalog model ``name`` from the SAM weights in ``checkpoint``: a pure
    function of its inputs (the same inputs give a byte-identical zip).

    Args:
        name: any catalog name (``vit_b_lm``, ``diplomatic-bug``, ``noisy-ox/1.2``, a user model).
        checkpoint: a SAM state dict or a micro-sam fine-tuning checkpoint (``.pt``).
        decoder: the instance-segmentation decoder's state dict, if not inside ``checkpoint``.
        image, labels: the test image and its labels (default: a sample image of the model's domain).
        output: the package path (``.zip``), or a folder for the default name; missing folders are created.
        version: the zoo version of a new release (default: the next after the newest published one).
        force: allow different weights under an already published version.
        overwrite: replace a file at ``output`` holding other bytes (otherwise: refused in one line, file kept).
        catalog: the catalog to use (default: :func:`samzoo.load_catalog`).
        on_message: called with each one-line note (version decision, decoder choice, ...).
        on_stage: called with each stage's name as it starts (for progress displays).
        cover_caption: a line written across the top of the cover (e.g. "random weights: masks are meaningless").
        mode: ``"automatic"`` (instance segmentation from the image alone; needs a decoder, from
            ``checkpoint``'s ``decoder_state`` or ``decoder``) or ``"interactive"`` (prompts); default
            automatic when there is a decoder.
        ais_params: overrides of the automatic mode's post-processing defaults.
        weight_formats: the weight formats to ship (``"pytorch_state_dict,torchscript,onnx"`` or a sequence);
            the state dict always. Each extra format is cross-checked on the test inputs before it is added;
            a format the package kind cannot express is skipped with a note (:mod:`samzoo.builder.formats`).

    Returns: a :class:`BuildResult` (path, sha256, version, rebuild, zoo_id, sizes, timings, notes, mode).

    Raises:
        SamzooError: one line, for bad inputs (:class:`~samzoo.plumbing.errors.ArgumentError` names the argument); nothing is left.

    Example::

        result = samzoo.build_package("vit_b_lm", "best.pt", output="release/")
        print(result.path, result.version, result.sha256)
    """
    formats = formats_mod.parse_weight_formats(weight_formats)
    catalog = catalog or load_catalog()
    ref = catalog.lookup(name)
    b = BuildContext(spec=ref.spec, catalog=catalog, checkpoint=Path(checkpoint), timer=Timer(), on_message=on_message,
                     on_stage=on_stage, cover_caption=cover_caption, weight_formats=formats, overwrite=overwrite)
    out_path, digest = _run_stages(b, ref, decoder, (mode, ais_params), image, labels, output, version, force)
    return _result(b, out_path, digest)


def _result(b: BuildContext, out_path: Path, digest: str) -> BuildResult:
    spec, decision = b.spec, b.decision
    return BuildResult(
        path=out_path, sha256=digest, model_type=spec.model_type, encoder=spec.encoder, version=decision.version,
        rebuild=decision.rebuild, zoo_id=zoo_id(spec.nickname, decision.version),
        size=out_path.stat().st_size, weights_size=b.weights_size, timings=tuple(b.timer.steps), notes=tuple(b.notes),
        mode=b.mode,
    )


# --- stages, in order ------------------------------------------------------------------------------

def _run_stages(b: BuildContext, ref: ModelRef, decoder, mode_params, image, labels, output, version, force) -> tuple[Path, str]:
    """Every stage in order, each announced to ``on_stage``; returns (package path, sha256)."""
    job = formats_mod.start_exports(b, mode_params[0], _output_near(output))  # imports torch while this process reads the checkpoint
    try:
        b.stage("reading the checkpoint")
        _read_checkpoint(b, decoder)
        _decide_mode(b, *mode_params)
        if job is not None and not b.format_plan.any:  # an automatic package after all: nothing to export
            job.stop()
            job = None
        b.stage("hashing the weights")
        _decide_version(b, ref, version, force)
        out_path = _output_path(b, output)
        with staging_next_to(out_path) as (staging, tmp_zip):
            b.stage("preparing the model and test data")
            _model_and_test_data(b, image, labels)
            _package_files(b, staging, job)
            b.stage("writing the zip")
            return out_path, _seal(b, staging, tmp_zip, out_path)
    finally:
        if job is not None:
            job.stop()


def _package_files(b: BuildContext, staging: Path, job: formats_mod.ExportJob | None) -> None:
    """Test outputs, exports and every file of the package, rdf.yaml last, in ``staging``."""
    if b.mode == "automatic":
        b.stage("encoder and decoder pass (test outputs)")
        ais_package.ais_pass(b, staging)
        b.stage("writing test data, cover and documentation")
        ais_package.stage_files(b, staging)
        b.stage("describing and validating the rdf")
        _write_rdf(b, staging, ais_package.ais_rdf(b, staging))
        return
    b.stage("encoder pass (test outputs)")
    _encoder_pass(b, staging, job)
    if job is not None:
        b.stage("other weight formats (export and cross-check)")
        formats_mod.finish_exports(b, staging, job, _test_arrays(b))
    b.stage("writing test data, cover and documentation")
    _stage_files(b, staging)
    b.stage("describing and validating the rdf")
    _describe(b, staging)


def _read_checkpoint(b: BuildContext, decoder: str | Path | None) -> None:
    """The SAM weights (their encoder must be the model's) and the instance-segmentation decoder, if any."""
    # imported here, not at the top: torch loads now, after the export worker has started importing it too
    from ..plumbing.sam_checkpoint import CheckpointError, as_float32, load_checkpoint, load_state_dict_file, nonfinite_problem

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
    problem = nonfinite_problem(ckpt.state_dict, b.checkpoint, "SAM weight")
    if problem is None and decoder_state is not None:
        problem = nonfinite_problem(as_float32(decoder_state), Path(decoder or b.checkpoint), "decoder weight")
    if problem is not None:
        raise CheckpointError(problem)
    decoder_state = as_float32(decoder_state) if decoder_state is not None else None
    b.state_dict, b.decoder_state = ckpt.state_dict, decoder_state
    b.plain_checkpoint = ckpt.plain and ckpt.decoder_state is None
    b.timer.lap("load checkpoint")


def _decide_mode(b: BuildContext, mode: str | None, params: Mapping[str, Any] | None) -> None:
    """Automatic (AIS) when a decoder is there, unless asked otherwise; the AIS parameters, checked."""
    from .ais_model import ais_params, check_decoder_state, decoder_only

    if mode not in (None, "automatic", "interactive"):
        raise ArgumentError("mode", f"must be 'automatic' or 'interactive', not {mode!r}")
    if mode == "automatic" and b.decoder_state is None:
        raise ArgumentError("mode", "automatic instance segmentation needs a decoder: pass a checkpoint with a "
                                    "decoder_state or the decoder file, or build the interactive package")
    b.mode = mode or ("automatic" if b.decoder_state is not None else "interactive")
    if params and b.mode != "automatic":
        raise ArgumentError("ais_params", "only apply to automatic instance segmentation packages")
    if b.mode == "automatic":
        b.ais_params = ais_params(params)
        b.decoder_state = decoder_only(b.decoder_state)
        b.transposed = check_decoder_state(b.decoder_state, "the decoder")
    b.format_plan = formats_mod.plan_formats(b.mode, b.weight_formats)
    for note in b.format_plan.notes:
        b.say(note)


def _decide_version(b: BuildContext, ref: ModelRef, requested: str | None, force: bool) -> None:
    """A rebuild of published weights keeps their zoo version; other weights are a new release."""
    b.decision = decide_version(ref, b.checkpoint_hash, requested, force)
    b.say(b.decision.message)
    b.timer.lap("hash and version")


def _model_and_test_data(b: BuildContext, image: str | Path | None, labels: str | Path | None) -> None:
    """The Sam module holding the weights, and the test image, labels and prompts."""
    from ..plumbing.sam_models import build_sam

    b.tests = load_test_inputs(b.spec.domain, image, labels)
    side = min(b.tests.image.shape[:2])
    if b.mode == "automatic" and side < ais_package.MIN_SIDE:
        raise ArgumentError("image", f"{image} is {side} pixels on its shorter side; an automatic instance segmentation "
                                     f"package takes images of at least {ais_package.MIN_SIDE} x {ais_package.MIN_SIDE}")
    b.sam = build_sam(b.spec.encoder, b.state_dict)
    b.timer.lap("model and test inputs")


def _encoder_pass(b: BuildContext, staging: Path, job: formats_mod.ExportJob | None = None) -> None:
    """The one encoder pass and the prompted masks and scores; the weights are written meanwhile.

    When the export worker traces the encoder for the TorchScript weights, its trace is the pass
    (same computation, same settings); if it fails, the pass runs here and TorchScript is left out.
    """
    import torch

    from ..architectures.sam_adaptor import SamAdaptor
    from .lowmem import low_memory_attention

    tests = b.tests
    save_errors: list[BaseException] = []
    # a rebuild of a published plain state dict ships the published bytes (the validator can then match them)
    verbatim = b.checkpoint if b.decision.matched is not None and b.plain_checkpoint else None
    saver = threading.Thread(target=save_weights, args=(b.state_dict, staging / b.weights_file, save_errors, verbatim))
    saver.start()  # I/O next to compute
    try:
        adaptor = SamAdaptor(b.spec.encoder, sam=b.sam, fast_attention=False).eval()  # test outputs: SAM's own attention
        traced = job.encode(tests.image_bchw) if job is not None and job.encodes else None
        with torch.inference_mode(), low_memory_attention(b.sam), encoder_pass():
            embeddings = torch.from_numpy(traced) if traced is not None else adaptor.encode(torch.from_numpy(tests.image_bchw))
            with one_thread():  # the decoder's skinny matrix products split their sums by thread
                masks, scores = adaptor.decode(
                    embeddings, tuple(tests.image.shape[:2]),
                    torch.from_numpy(tests.box_prompts), torch.from_numpy(tests.point_prompts),
                    torch.from_numpy(tests.point_labels), torch.from_numpy(tests.mask_prompts),
                )
    finally:
        saver.join()  # before anything removes the folder it writes into
    if save_errors:
        raise RunTimeFailure(f"cannot write the weights into {staging} ({save_errors[0]}); check free disk space")
    b.outputs = {"embeddings": embeddings.numpy(), "masks": masks.numpy(), "scores": scores.numpy()}
    check_testable_outputs(b.outputs, tests.source)
    b.timer.lap("encoder pass and weights")


def _test_arrays(b: BuildContext) -> dict[str, np.ndarray]:
    """Tensor id -> test array: the inputs and the computed outputs."""
    tests = b.tests
    return {
        "image": tests.image_bchw, "box_prompts": tests.box_prompts, "point_prompts": tests.point_prompts,
        "point_labels": tests.point_labels, "mask_prompts": tests.mask_prompts, **b.outputs,
    }


def _stage_files(b: BuildContext, staging: Path) -> None:
    """Every file of the package but rdf.yaml: decoder, test tensors, cover, documentation, environment, architecture."""
    import torch

    spec, tests = b.spec, b.tests
    if b.decoder_state is not None:
        torch.save(b.decoder_state, staging / b.decoder_file)
    arrays = _test_arrays(b)
    for key, fname in TEST_TENSOR_FILES.items():
        np.save(staging / fname, np.ascontiguousarray(arrays[key]), allow_pickle=False)
    (staging / "cover.png").write_bytes(cover_png(tests.image, arrays["masks"][0, :, 0], tests.box_prompts, b.cover_caption))
    (staging / "documentation.md").write_text(
        documentation(spec, b.catalog, b.decision.version, tests.source, len(tests.object_ids), b.decoder_state is not None,
                      tuple(b.extra_files)),
        encoding="utf-8",
    )
    (staging / "environment.yaml").write_text(rdf_mod.environment_yaml(spec.encoder), encoding="utf-8")
    shutil.copyfile(SAM_ADAPTOR, staging / rdf_mod.ARCHITECTURE_FILE)
    b.timer.lap("test data, cover, docs")


def _describe(b: BuildContext, staging: Path) -> None:
    """rdf.yaml, from the catalog and the staged files' hashes, validated by bioimageio.spec."""
    description = rdf_mod.model_rdf(rdf_mod.RdfInputs(
        spec=b.spec, version=b.decision.version, files=TEST_TENSOR_FILES,
        sha={p.name: file_digest(p) for p in sorted(staging.iterdir())},
        weights_file=b.weights_file, decoder_file=b.decoder_file, torch_version=torch_version(),
        samzoo_config=b.samzoo_config(), scores_max=float(b.outputs["scores"].max()),
        embeddings_max=float(abs(b.outputs["embeddings"]).max()),
        torchscript_file=_kept(b, formats_mod.torchscript_file(b.spec.encoder)),
        onnx_decoder_file=_kept(b, formats_mod.onnx_decoder_file(b.spec.encoder)),
    ))
    _write_rdf(b, staging, description)


def _kept(b: BuildContext, fname: str) -> str | None:
    return fname if fname in b.extra_files else None


def _write_rdf(b: BuildContext, staging: Path, description: dict[str, Any]) -> None:
    """Validate the description with bioimageio.spec and write it as rdf.yaml (saying what the catalog's metadata lacks)."""
    for note in rdf_mod.metadata_notes(b.spec):
        b.say(note)
    rdf_mod.validate_rdf(description, staging)
    (staging / "rdf.yaml").write_text(rdf_mod.dump_rdf(description), encoding="utf-8")
    b.timer.lap("describe and validate")


def _seal(b: BuildContext, staging: Path, tmp_zip: Path, out_path: Path) -> str:
    """Zip the staged files and rename the zip onto the output path; returns its sha256."""
    write_zip(tmp_zip, [(p.name, p) for p in staging.iterdir()])
    digest = file_digest(tmp_zip)
    _check_replace(b, out_path, digest)
    os.replace(tmp_zip, out_path)
    b.timer.lap("zip")
    b.weights_size = (staging / b.weights_file).stat().st_size
    return digest


# --- helpers --------------------------------------------------------------------------------------

def _check_replace(b: BuildContext, out_path: Path, digest: str) -> None:
    """Refuse to replace a file at ``out_path`` holding other bytes than the new package, unless ``b.overwrite``."""
    if b.overwrite or not out_path.is_file():
        return
    try:
        existing = file_digest(out_path)
    except OSError:
        existing = "unreadable"
    if existing == digest:
        return
    raise ArgumentError("output", f"{out_path} already holds another package (sha256 {existing[:12]}, this build "
                                  f"{digest[:12]}); it is not replaced unless forced; choose another output or remove it")


def is_folder_output(output: str | Path) -> bool:
    """``output`` names a folder: an existing one, one written with a trailing ``/``, or a path without ``.zip``."""
    text = str(output)
    return Path(output).is_dir() or text.endswith(("/", os.sep)) or Path(text).suffix.lower() != ".zip"


def _output_near(output: str | Path | None) -> Path:
    """The folder the package will be in (it may not exist yet), known before the version is."""
    if output is None:
        return Path().absolute()
    return (Path(output) if is_folder_output(output) else Path(output).parent).absolute()


def _output_path(b: BuildContext, output: str | Path | None) -> Path:
    """The package path: ``output`` itself, or the default name inside the folder ``output`` or here.

    Missing folders on the way are created (``-o new_folder/pkg.zip``, ``-o release/``).
    """
    out_path = default_output(b.spec.model_type, b.spec.nickname, b.decision.version, b.mode)
    if output is not None:
        out_path = Path(output) / out_path if is_folder_output(output) else Path(output)
    out_path = out_path.absolute()
    if out_path.is_dir():
        raise ArgumentError("output", f"{out_path} is a folder; name the package file, or a folder without one of that name")
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ArgumentError("output", f"cannot create the folder {out_path.parent} ({e.strerror}); choose another place") from None
    return out_path
