"""One loaded model, used by every inference check: bioimageio.core's prediction pipeline, created once."""

from __future__ import annotations

import contextlib
from typing import Any
from collections.abc import Mapping

import numpy as np

from .result import one_line

#: weight formats in the order they are tried (the first one the package has is used)
WEIGHT_FORMATS = ("pytorch_state_dict", "torchscript", "onnx", "keras_v3", "keras_hdf5", "tensorflow_saved_model_bundle")


#: bioimageio.core calls ``load_state_dict(state, strict=...)`` from this release on
STRICT_SINCE = "0.10.3"
STRICT_CAUSE = (
    f"the architecture's load_state_dict() does not accept 'strict' (bioimageio.core >= {STRICT_SINCE} calls "
    "load_state_dict(state, strict=...)); give it a 'strict: bool = True' parameter (micro-sam's PredictorAdaptor lacks it)"
)


def explain_load_error(message: str) -> str | None:
    """The named cause of a model-loading error, when samzoo knows it."""
    if "unexpected keyword argument 'strict'" in message and "load_state_dict" in message:
        return STRICT_CAUSE
    return None


class ModelLoadError(Exception):
    """The package's model could not be created (its architecture raised, weights do not fit, ...)."""


def resolve_device(device: str) -> str:
    """``cpu``, ``cuda`` or ``auto`` (cuda when torch sees a GPU, else cpu) -> a torch device name.

    Raises :class:`samzoo.errors.SamzooError` for ``cuda`` without a GPU, or an unknown device.
    """
    from ..errors import SamzooError

    if device not in ("cpu", "cuda", "auto") and not device.startswith("cuda:"):
        raise SamzooError(f"--device {device!r}: choose cpu, cuda, cuda:N or auto")
    if device == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda" if device == "auto" else device
    if device == "auto":
        return "cpu"
    raise SamzooError(f"--device {device}: torch sees no CUDA GPU on this machine; use --device cpu or --device auto")


class ModelSession:
    """The package's model, loaded once on ``device``; :meth:`predict` runs it on named numpy inputs."""

    def __init__(self, descr: Any, device: str) -> None:
        from bioimageio.core import create_prediction_pipeline

        self.descr = descr
        self.device = device
        available = [w for w in WEIGHT_FORMATS if getattr(descr.weights, w, None) is not None]
        if not available:
            raise ModelLoadError("the package has no weights format bioimageio.core can run")
        self.weight_format = available[0]
        try:
            self.pipeline = create_prediction_pipeline(descr, devices=[device], weight_format=self.weight_format)
        except Exception as e:
            cause = explain_load_error(str(e))
            raise ModelLoadError(f"could not load the model ({self.weight_format}): "
                                 + (cause or f"{type(e).__name__}: {one_line(e, 200)}")) from None
        self.input_ids = [str(t.id) for t in descr.inputs]
        self.output_ids = [str(t.id) for t in descr.outputs]

    def predict(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run the model on ``inputs`` (tensor id -> array; optional inputs may be left out)."""
        from bioimageio.core.digest_spec import create_sample_for_model

        sample = create_sample_for_model(model=self.descr, inputs=dict(inputs))
        result = self.pipeline.predict_sample_without_blocking(sample)
        return {str(k): v.data.to_numpy() for k, v in result.members.items()}

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.pipeline.unload()
