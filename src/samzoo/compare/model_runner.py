"""One package's model, run the way the validator runs it: bioimageio.core's prediction pipeline, nothing else."""

from __future__ import annotations

import contextlib
from copy import deepcopy
from pathlib import Path
from typing import Any

import numpy as np

from ..plumbing.errors import one_line
from .package_side import CompareError


class PackageModel:
    """The model of the package whose rdf is at ``rdf_path`` (fields ``raw``): described at once, loaded by :meth:`run`."""

    def __init__(self, label: str, rdf_path: Path, raw: dict[str, Any]) -> None:
        self.label = label
        self.descr = _describe(label, rdf_path, raw)
        self.input_ids = [str(t.id) for t in self.descr.inputs]
        self.pipeline: Any = None

    def run(self, inputs: list[dict[str, np.ndarray]], device: str) -> list[dict[str, np.ndarray]]:
        """Load the model once on ``device``, run it on each of ``inputs``, unload it."""
        from bioimageio.core import create_prediction_pipeline

        formats = [w for w in ("pytorch_state_dict", "torchscript") if getattr(self.descr.weights, w, None) is not None]
        if not formats:
            raise CompareError(f"{self.label}: no pytorch_state_dict or torchscript weights to run")
        try:
            self.pipeline = create_prediction_pipeline(self.descr, devices=[device], weight_format=formats[0])
        except Exception as e:
            raise CompareError(f"{self.label}: could not load the model ({type(e).__name__}: {one_line(e, 160)})") from None
        try:
            return [self.predict(x) for x in inputs]
        finally:
            self.close()

    def test_inputs(self) -> dict[str, np.ndarray]:
        """The package's test inputs, as numpy arrays."""
        from bioimageio.core.digest_spec import get_test_input_sample

        try:
            sample = get_test_input_sample(self.descr)
        except Exception as e:
            raise CompareError(f"{self.label}: cannot read its test inputs ({one_line(e, 160)})") from None
        return {str(k): v.data.to_numpy() for k, v in sample.members.items()}

    def predict(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run the model on ``inputs`` (tensor id -> array; ids the model does not declare are left out)."""
        from bioimageio.core.digest_spec import create_sample_for_model

        given = {k: v for k, v in inputs.items() if k in self.input_ids}
        try:
            sample = create_sample_for_model(model=self.descr, inputs=given)
            result = self.pipeline.predict_sample_without_blocking(sample)
        except Exception as e:
            raise CompareError(f"{self.label}: the model failed ({type(e).__name__}: {one_line(e, 160)})") from None
        return {str(k): v.data.to_numpy() for k, v in result.members.items()}

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.pipeline.unload()
        self.pipeline = None


def _describe(label: str, rdf_path: Path, raw: dict[str, Any]) -> Any:
    """bioimageio.spec's description of the rdf (io checks off: no network), or :class:`CompareError`."""
    from bioimageio.spec import InvalidDescr, ValidationContext, build_description

    try:
        with ValidationContext(root=rdf_path.parent, file_name=rdf_path.name, perform_io_checks=False, raise_errors=False):
            descr = build_description(deepcopy(raw))
    except Exception as e:
        raise CompareError(f"{label}: bioimageio.spec cannot read its rdf ({one_line(e, 160)})") from None
    if isinstance(descr, InvalidDescr) or getattr(descr, "type", None) != "model":
        raise CompareError(f"{label}: not a valid model description (run `samzoo validate` on it)")
    return descr
