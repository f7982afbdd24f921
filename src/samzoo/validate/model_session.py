"""One loaded model, used by every inference check: bioimageio.core's prediction pipeline, created once."""

from __future__ import annotations

import contextlib
from typing import Any
from collections.abc import Iterator, Mapping

import numpy as np

from ..plumbing.errors import one_line
from .weight_formats_plan import declared_formats, formats_to_test


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


class NotTestableOffline(ModelLoadError):
    """Offline, every weight format that could run here needs a remote file that is not cached: a skip, not a failure."""


@contextlib.contextmanager
def seeded(device: str) -> Iterator[None]:
    """torch's and numpy's global generators seeded with 0 inside the block, restored after it.

    What bioimageio.core's ``enable_determinism("seed_only")`` does for ``bioimageio test``, without
    its process-wide side effects (it leaves the seeds changed, sets ``TF_ENABLE_ONEDNN_OPTS`` and
    resets ``torch.use_deterministic_algorithms``, which also imports torch's compiler, a cost of seconds).
    """
    import torch

    cuda = [torch.device(device).index or 0] if device.startswith("cuda") else []
    state = np.random.get_state()
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(0)
        np.random.seed(0)
        try:
            yield
        finally:
            np.random.set_state(state)


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of a chain (bioimageio.core wraps an architecture's own error)."""
    seen = set()
    while (exc.__cause__ or exc.__context__) is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return exc


def pick_format(descr: Any, weight_format: str | None = None) -> str:
    """``weight_format`` when the package declares it and it can be tested here, else the first declared format that can.

    A format cannot be tested when its runtime is missing, or offline when a file it needs is remote
    and not cached (:mod:`.weight_formats_plan`)."""
    declared = declared_formats(descr)
    plan = formats_to_test(descr)
    if weight_format is not None:
        if weight_format not in declared:
            raise ModelLoadError(f"the package has no {weight_format} weights (it has: {', '.join(declared) or 'none'})")
        why = plan.why_not(weight_format)
        if why:
            raise ModelLoadError(f"cannot run the {weight_format} weights: {why}")
        return weight_format
    if not plan.testable:
        why = "; ".join(f"{w}: {r}" for w, r in plan.untestable)
        if plan.only_offline_missing:
            raise NotTestableOffline(f"not tested offline: no weight format can run without the network ({why})")
        raise ModelLoadError("the package has no weights format bioimageio.core can run" + (f" here ({why})" if why else ""))
    return plan.testable[0]


class ModelSession:
    """The package's model, loaded once on ``device``; :meth:`predict` runs it on named numpy inputs."""

    def __init__(self, descr: Any, device: str, weight_format: str | None = None) -> None:
        from bioimageio.core import create_prediction_pipeline

        self.descr = descr
        self.device = device
        self.weight_format = pick_format(descr, weight_format)
        try:
            self.pipeline = create_prediction_pipeline(descr, devices=[device], weight_format=self.weight_format)
        except Exception as e:
            cause = explain_load_error(str(e))
            root = root_cause(e)
            why = f"{type(e).__name__}: {one_line(e, 120)}"
            if root is not e:
                why += f" (caused by {type(root).__name__}: {one_line(root, 160)})"
            raise ModelLoadError(f"could not load the model ({self.weight_format}): " + (cause or why)) from None
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


def tolerance(descr: Any, weight_format: str, output_id: str) -> tuple[float, float, float]:
    """(rtol, atol, mismatched elements per million) for one output, as bioimageio.core picks them."""
    from bioimageio.spec.model import v0_5

    applicable = v0_5.ReproducibilityTolerance()
    if isinstance(descr, v0_5.ModelDescr):
        extra = descr.config.bioimageio.model_extra or {}
        for wf, kwargs in extra.get("test_kwargs", {}).items():
            if wf == weight_format:
                applicable = v0_5.ReproducibilityTolerance(
                    relative_tolerance=kwargs.get("relative_tolerance", 1e-3),
                    absolute_tolerance=kwargs.get("absolute_tolerance", 1e-3),
                )
                break
        for entry in descr.config.bioimageio.reproducibility_tolerance:
            if (not entry.weights_formats or weight_format in entry.weights_formats) and (
                not entry.output_ids or output_id in entry.output_ids
            ):
                applicable = entry
                break
        return applicable.relative_tolerance, applicable.absolute_tolerance, applicable.mismatched_elements_per_million
    return 1e-3, 1e-3, 0.0



def spatial_size(sample_members: dict[Any, Any]) -> tuple[int, int]:
    """(y, x) of the first input of a bioimageio Sample's members."""
    tensor = next(iter(sample_members.values()))
    sizes = {str(k): v for k, v in tensor.sizes.items()}
    return int(sizes.get("y", 0)), int(sizes.get("x", 0))



def sample_arrays(members) -> dict:
    return {str(k): v.data.to_numpy() for k, v in members.items()}
