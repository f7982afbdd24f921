"""Cross-checks of an export against the state dict: its outputs on the test inputs within the package's tolerances."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...plumbing.tolerance import Tolerance, compare
from ..interactive_rdf import reproducibility_tolerance


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
    entries = reproducibility_tolerance(float(outputs["scores"].max()), float(abs(outputs["embeddings"]).max()))
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
    from ...architectures.sam_adaptor import resized_shape

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
