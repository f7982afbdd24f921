"""Weight formats beyond the state dict: which ones a package kind gets (the plan), and their file names.

What each package kind gets (``samzoo build --weight-format pytorch_state_dict,torchscript,onnx``):

* interactive (prompts): ``torchscript`` weights, samzoo's own export (:mod:`.torchscript`:
  bioimageio.core's converter traces with every test input, which drops the optional inputs).
  ``onnx`` cannot be a weights entry: an ONNX graph has a fixed set of inputs and bioimageio.core
  hands an absent optional input to onnxruntime as None. The ONNX *prompt decoder* is attached
  instead (``<encoder>_prompt_decoder.onnx``), the file browser annotators run per click against
  precomputed embeddings.
* automatic instance segmentation: the state dict only; its seeded watershed (bioimage_cpp) is
  not a tensor program that TorchScript or ONNX can hold.

The exports run in a fresh process (:mod:`.export_worker`, driven by :mod:`.export_job`), started before the builder reads the
checkpoint; with TorchScript, its trace of the image encoder is the build's encoder pass. An
export enters the package only when its outputs on the test inputs match the state dict's within
the package's tolerances (:mod:`.crosscheck`); otherwise the build says so in one line and leaves it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...plumbing.errors import ArgumentError
from ...plumbing.runtimes import runtime_missing

FORMATS = ("pytorch_state_dict", "torchscript", "onnx")
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
