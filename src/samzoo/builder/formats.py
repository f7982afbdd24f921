"""Weight formats beyond the state dict: planned, exported, cross-checked against the state dict, described.

What each package kind gets (``samzoo build --weight-format pytorch_state_dict,torchscript,onnx``):

* interactive (prompts): ``torchscript`` weights, samzoo's own export (:mod:`.torchscript`:
  bioimageio.core's converter traces with every test input, which drops the optional inputs).
  ``onnx`` cannot be a weights entry: an ONNX graph has a fixed set of inputs and bioimageio.core
  hands an absent optional input to onnxruntime as None. The ONNX *prompt decoder* is attached
  instead (``<encoder>_prompt_decoder.onnx``), the file browser annotators run per click against
  precomputed embeddings.
* automatic instance segmentation: the state dict only; its seeded watershed (bioimage_cpp) is
  not a tensor program that TorchScript or ONNX can hold.

The exports run in a fresh process (:mod:`.export_worker`), started before the builder reads the
checkpoint; with TorchScript, its trace of the image encoder is the build's encoder pass. An
export enters the package only when its outputs on the test inputs match the state dict's within
the package's tolerances; otherwise the build says so in one line and leaves it out.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..plumbing.errors import ArgumentError
from ..plumbing.runtimes import runtime_missing
from ..plumbing.tolerance import Tolerance, compare
from . import rdf as rdf_mod

FORMATS = ("pytorch_state_dict", "torchscript", "onnx")
#: the longest an export may take (vit_h's trace takes minutes on a laptop)
EXPORT_TIMEOUT_S = 3600
ONNX_RUNTIME_HINT = "pip install 'samzoo[onnx]'"


def parse_weight_formats(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"pytorch_state_dict,torchscript"`` (or a sequence) -> the formats in canonical order; the state dict always."""
    if value is None:
        return ("pytorch_state_dict",)
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [str(x).strip() for x in items if str(x).strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise ArgumentError("weight_formats", f"unknown weight format {unknown[0]!r}; choose from {', '.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in names or f == "pytorch_state_dict")


@dataclass(frozen=True)
class FormatPlan:
    """What the build exports: TorchScript weights, the ONNX prompt decoder; ``notes`` say what is skipped and why."""

    torchscript: bool = False
    onnx_decoder: bool = False
    notes: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return self.torchscript or self.onnx_decoder


def plan_formats(mode: str, formats: Sequence[str]) -> FormatPlan:
    """The exports a package of ``mode`` gets for the requested ``formats`` and the runtimes installed here
    (one note per format it cannot express or check)."""
    notes = []
    if mode == "automatic":
        notes += [f"{f}: not added: the automatic instance segmentation ends in a seeded watershed (bioimage_cpp), "
                  f"which {f} cannot express; the package has pytorch_state_dict weights only"
                  for f in formats if f != "pytorch_state_dict"]
        return FormatPlan(notes=tuple(notes))
    onnx_decoder = "onnx" in formats
    if onnx_decoder:
        notes.append("onnx: no weights entry (an ONNX graph has no optional inputs, and the prompts and embeddings are "
                     "optional); the ONNX prompt decoder is attached instead")
    if onnx_decoder and runtime_missing("onnx"):
        onnx_decoder = False
        notes.append(f"onnx: the prompt decoder is not attached: onnxruntime, which checks it, is not installed ({ONNX_RUNTIME_HINT})")
    return FormatPlan(torchscript="torchscript" in formats, onnx_decoder=onnx_decoder, notes=tuple(notes))


def torchscript_file(encoder: str) -> str:
    return f"{encoder}.torchscript.pt"


def onnx_decoder_file(encoder: str) -> str:
    return f"{encoder}_prompt_decoder.onnx"


class ExportJob:
    """The export worker process, started at the beginning of the build; :meth:`wait` returns its error line or None.

    With TorchScript planned, the worker's trace of the image encoder is also the build's encoder pass
    (:meth:`encode`): the encoder runs once for both.
    """

    def __init__(self, checkpoint: Path, encoder: str, folder: Path, plan: FormatPlan) -> None:
        cmd = [sys.executable, "-m", "samzoo.builder.export_worker", str(checkpoint), encoder]
        if plan.torchscript:
            cmd += ["--torchscript", str(folder / torchscript_file(encoder)), "--encode"]
        if plan.onnx_decoder:
            cmd += ["--onnx-decoder", str(folder / onnx_decoder_file(encoder))]
        self.encodes = plan.torchscript
        self.folder = folder  # the worker's files; removed by stop()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if self.encodes else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def encode(self, image_bchw: np.ndarray) -> np.ndarray | None:
        """The embeddings of the test image, from the worker's traced encoder pass; None if the worker failed."""
        import selectors

        src, dst = self.folder / "encoder_input.npy", self.folder / "encoder_output.npy"
        try:
            np.save(src, image_bchw, allow_pickle=False)
            self.proc.stdin.write(f"{src} {dst}\n")
            self.proc.stdin.close()
            self.proc.stdin = None  # communicate() must not flush it later
            with selectors.DefaultSelector() as sel:
                sel.register(self.proc.stdout, selectors.EVENT_READ)
                ready = sel.select(timeout=EXPORT_TIMEOUT_S)
            line = self.proc.stdout.readline() if ready else ""
            return np.load(dst, allow_pickle=False) if line.strip() == "encoded" else None
        except (OSError, ValueError):
            return None
        finally:
            src.unlink(missing_ok=True)
            dst.unlink(missing_ok=True)

    def wait(self) -> str | None:
        try:
            _, err = self.proc.communicate(timeout=EXPORT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.stop()
            return f"the export took longer than {EXPORT_TIMEOUT_S} s"
        if self.proc.returncode != 0:
            lines = [ln for ln in (err or "").splitlines() if ln.strip()]
            return lines[-1] if lines else f"the export process exited with status {self.proc.returncode}"
        return None

    def stop(self) -> None:
        """Stop the worker and remove its folder (a failed or interrupted build leaves nothing behind)."""
        import shutil

        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def export_folder(near: Path) -> Path:
    """A new private folder for the worker's files in the nearest existing folder at or above ``near``.

    On the package's file system (its files are renamed into the package), creating no folder the user asked for.
    """
    import tempfile

    place = near
    while not place.is_dir() and place != place.parent:
        place = place.parent
    return Path(tempfile.mkdtemp(prefix=".samzoo-export-", dir=place))


def _mismatch(name: str, expected: np.ndarray, actual: np.ndarray, tolerance: Tolerance) -> str | None:
    """Why ``actual`` does not match ``expected`` within ``tolerance``, or None."""
    if expected.shape != actual.shape:
        return f"{name} has shape {actual.shape}, the state dict's {expected.shape}"
    got = compare(expected, actual, tolerance)
    if not got.within:
        return f"{name} differs in {got.ppm:.0f} elements per million (tolerated: {tolerance.ppm:g})"
    return None


def _tolerances(outputs: dict[str, np.ndarray]) -> dict[str, Tolerance]:
    """(rtol, atol, ppm) per output, exactly as the package's rdf states them."""
    entries = rdf_mod.reproducibility_tolerance(float(outputs["scores"].max()), float(abs(outputs["embeddings"]).max()))
    return {e["output_ids"][0]: Tolerance(e["relative_tolerance"], e["absolute_tolerance"], e["mismatched_elements_per_million"])
            for e in entries}


def check_torchscript(path: Path, inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray]) -> str | None:
    """Run the TorchScript module on the test inputs (as ``bioimageio test`` does); the first mismatch, or None."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = torch.jit.load(str(path), map_location="cpu").eval()
    order = ("image", "box_prompts", "point_prompts", "point_labels", "mask_prompts", "embeddings")
    with torch.no_grad(), torch.jit.optimized_execution(False):  # one call: the profiling executor would only cost time
        got = module(*[torch.from_numpy(np.ascontiguousarray(inputs[k])) for k in order])
    tol = _tolerances(outputs)
    for name, actual in zip(("masks", "scores", "embeddings"), got, strict=True):
        problem = _mismatch(name, outputs[name], actual.numpy(), tol[name])
        if problem:
            return problem
    return None


def onnx_decoder_feeds(inputs: dict[str, np.ndarray], obj: int) -> dict[str, np.ndarray]:
    """The ONNX decoder's inputs for test object ``obj``: its points and box corners in SAM's 1024 frame, its mask prompt."""
    from ..architectures.sam_adaptor import resized_shape

    h, w = inputs["image"].shape[-2:]
    new_h, new_w = resized_shape(h, w)
    scale = np.asarray([new_w / w, new_h / h], dtype=np.float32)
    points = inputs["point_prompts"][0, obj].astype(np.float32) * scale
    corners = inputs["box_prompts"][0, obj].reshape(2, 2).astype(np.float32) * scale
    return {
        "image_embeddings": inputs["embeddings"].astype(np.float32),
        "point_coords": np.concatenate([points, corners])[None],
        "point_labels": np.concatenate([inputs["point_labels"][0, obj].astype(np.float32), [2.0, 3.0]])[None].astype(np.float32),
        "mask_input": inputs["mask_prompts"][0, obj][None].astype(np.float32),
        "has_mask_input": np.ones(1, np.float32),
        "orig_im_size": np.asarray([h, w], dtype=np.float32),
    }


def check_onnx_decoder(path: Path, inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray]) -> str | None:
    """Run the ONNX prompt decoder (onnxruntime) on every test object's prompts; compare with the state dict's masks and scores."""
    import onnxruntime as rt

    session = rt.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    masks, scores = [], []
    for obj in range(inputs["box_prompts"].shape[1]):
        logits, iou, _ = session.run(None, onnx_decoder_feeds(inputs, obj))
        masks.append((logits[0] > 0).astype(np.uint8))
        scores.append(iou[0])
    tol = _tolerances(outputs)
    return (_mismatch("masks", outputs["masks"], np.stack(masks)[None], tol["masks"])
            or _mismatch("scores", outputs["scores"], np.stack(scores)[None], tol["scores"]))


# --- the build's stages (called by package.py) ------------------------------------------------------

def start_exports(b, mode: str | None, near: Path) -> ExportJob | None:
    """The export worker of the formats an interactive package would get (None when there is nothing to export).

    Started first, before this process reads the checkpoint, so that the two processes import torch side
    by side; it writes into a private folder next to where the package will go (moved into the package
    after the cross-check) and is stopped if the package turns out to be an automatic one.
    """
    plan = plan_formats(mode or "interactive", b.weight_formats)
    if mode == "automatic" or not plan.any:
        return None
    return ExportJob(b.checkpoint, b.spec.encoder, export_folder(near), plan)


def finish_exports(b, staging: Path, job: ExportJob, arrays: dict[str, np.ndarray]) -> None:
    """Wait for the exports; move each one whose outputs on the test inputs (``arrays``) match the state dict's into
    ``staging``, and say why the others are left out (``b``: the builder's context)."""
    import os

    error = job.wait()
    plan = b.format_plan
    checks = [("torchscript", torchscript_file(b.spec.encoder), check_torchscript, plan.torchscript),
              ("onnx prompt decoder", onnx_decoder_file(b.spec.encoder), check_onnx_decoder, plan.onnx_decoder)]
    for what, fname, check, planned in checks:
        if not planned:
            continue
        path = job.folder / fname
        problem = f"the export failed ({error})" if error or not path.is_file() else None
        if problem is None:
            try:
                problem = check(path, arrays, b.outputs)
            except Exception as e:
                problem = f"it cannot be run ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
        if problem is None:
            os.replace(path, staging / fname)
            b.extra_files.append(fname)
            b.say(f"{what}: added; its outputs on the test inputs match the state dict's within the package's tolerances")
        else:
            path.unlink(missing_ok=True)
            b.say(f"{what}: not added: {problem}")
    b.timer.lap("other weight formats")
