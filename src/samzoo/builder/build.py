"""``build_package``: a SAM checkpoint and a catalog name in, a byte-reproducible BioImage.IO package out.

The build is a short sequence of named stages that share one build context (:class:`BuildContext`):
read the checkpoint -> decide the package kind -> hash and decide the version -> model and sample
inputs -> the kind's own stages (:mod:`.interactive`, :mod:`.automatic`: run the model, stage the
files, describe) -> seal (:mod:`.output`). Exports of other weight formats (:mod:`.exports`) start
first, in a process of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from ..catalog import Catalog, ModelRef, load_catalog, zoo_id
from ..catalog.people import check_people
from ..plumbing.errors import ArgumentError
from . import automatic, interactive
from .context import BuildContext, BuildRequest, BuildResult, Timer
from .exports.export_job import start_exports
from .exports.plan import parse_weight_formats, plan_formats
from .output import output_near, output_path, seal
from .sample_inputs import check_image_file, load_sample_inputs
from .staging import staging_next_to
from .versioning import decide_version

#: package kind -> its module (``KIND``: the kind's facts; ``write_files``: its stages)
KINDS: dict[str, ModuleType] = {"interactive": interactive, "automatic": automatic}


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
            a format the package kind cannot express is skipped with a note (:mod:`samzoo.builder.exports`).

    Returns: a :class:`BuildResult` (path, sha256, version, rebuild, zoo_id, sizes, timings, notes, mode).

    Raises:
        SamzooError: one line: an ``ArgumentError`` (exit 2) names the bad argument, an ``OutputError`` (exit 1)
            a file that could not be written; nothing is left behind.

    Example::

        result = samzoo.build_package("vit_b_lm", "best.pt", output="release/")
        print(result.path, result.version, result.sha256)
    """
    formats = parse_weight_formats(weight_formats)
    catalog = catalog or load_catalog()
    ref = catalog.lookup(name)
    check_people(ref.spec)  # before any work: a placeholder author fails the zoo check at the end
    for argument, path in (("image", image), ("labels", labels)):
        if path is not None:
            check_image_file(path, argument)  # before any work or note: a folder, a missing file
    b = BuildContext(spec=ref.spec, catalog=catalog, checkpoint=Path(checkpoint), timer=Timer(), on_message=on_message,
                     on_stage=on_stage, cover_caption=cover_caption, weight_formats=formats, overwrite=overwrite)
    request = BuildRequest(decoder=decoder, image=image, labels=labels, output=output, version=version, force=force,
                           mode=mode, ais_params=ais_params)
    return _result(b, *_run_stages(b, ref, request))


def _result(b: BuildContext, out_path: Path, digest: str) -> BuildResult:
    spec, decision = b.spec, b.decision
    return BuildResult(
        path=out_path, sha256=digest, model_type=spec.model_type, encoder=spec.encoder, version=decision.version,
        rebuild=decision.rebuild, zoo_id=zoo_id(spec.nickname, decision.version),
        size=out_path.stat().st_size, weights_size=b.weights_size, timings=tuple(b.timer.steps), notes=tuple(b.notes),
        mode=b.mode,
    )


# --- stages, in order ------------------------------------------------------------------------------

def _run_stages(b: BuildContext, ref: ModelRef, request: BuildRequest) -> tuple[Path, str]:
    """Every stage in order, each announced to ``on_stage``; returns (package path, sha256)."""
    b.exports = start_exports(b, request.mode, output_near(request.output))  # imports torch while this process reads the checkpoint
    try:
        b.stage("reading the checkpoint")
        _read_checkpoint(b, request.decoder)
        kind = _decide_kind(b, request.mode, request.ais_params)
        b.stage("hashing the weights")
        _decide_version(b, ref, request.version, request.force)
        out_path = output_path(b, kind.KIND, request.output)
        with staging_next_to(out_path) as (staging, tmp_zip):
            b.stage("preparing the model and test data")
            _model_and_samples(b, kind, request.image, request.labels)
            kind.write_files(b, staging)
            b.stage("writing the zip")
            return out_path, seal(b, staging, tmp_zip, out_path)
    finally:
        if b.exports is not None:
            b.exports.stop()


def _read_checkpoint(b: BuildContext, decoder: str | Path | None) -> None:
    """The SAM weights (their encoder must be the model's) and the instance-segmentation decoder, if any."""
    # imported here, not at the top: torch loads now, after the export worker has started importing it too
    from ..plumbing.sam_checkpoint import CheckpointError, as_float32, load_checkpoint, load_state_dict_file, nonfinite_problem

    spec = b.spec
    ckpt = load_checkpoint(b.checkpoint)
    if ckpt.encoder != spec.encoder:
        raise CheckpointError(
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


def _decide_kind(b: BuildContext, mode: str | None, params: Mapping[str, Any] | None) -> ModuleType:
    """Automatic (AIS) when a decoder is there, unless asked otherwise; the AIS parameters, checked; the formats planned.

    Returns the kind's module. An automatic package exports nothing: a started export worker is stopped.
    """
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
    b.format_plan = plan_formats(b.mode, b.weight_formats)
    for note in b.format_plan.notes:
        b.say(note)
    if b.exports is not None and not b.format_plan.any:
        b.exports.stop()
        b.exports = None
    return KINDS[b.mode]


def _decide_version(b: BuildContext, ref: ModelRef, requested: str | None, force: bool) -> None:
    """A rebuild of published weights keeps their zoo version; other weights are a new release."""
    b.decision = decide_version(ref, b.checkpoint_hash, requested, force)
    b.say(b.decision.message)
    b.timer.lap("hash and version")


def _model_and_samples(b: BuildContext, kind: ModuleType, image: str | Path | None, labels: str | Path | None) -> None:
    """The Sam module holding the weights, and the sample inputs: test image, labels and prompts."""
    from ..plumbing.sam_models import build_sam

    b.samples = load_sample_inputs(b.spec.domain, image, labels)
    side, least = min(b.samples.image.shape[:2]), kind.KIND.min_side
    if side < least:
        raise ArgumentError("image", f"{image} is {side} pixels on its shorter side; {kind.KIND.title} "
                                     f"takes images of at least {least} x {least}")
    b.sam = build_sam(b.spec.encoder, b.state_dict)
    b.timer.lap("model and test inputs")
