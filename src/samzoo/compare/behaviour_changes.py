"""Both models on the same inputs (A's test inputs, B's, ``--image`` files): mask IoU, scores, ARI, embeddings.

Interactive packages get the image and the prompts, never the test embeddings, so the encoder runs
(one encoder pass per model and distinct input); automatic packages get the image. Each model is loaded
once, runs every input, and is unloaded before the other one loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..plumbing.errors import one_line
from .mask_metrics import adjusted_rand_index, cosine, iou, object_count
from .model_runner import PackageModel
from .package_side import CompareError
from .pictures import overlays

#: below this cosine similarity the embeddings differ; scores differ beyond this absolute change
COSINE_SAME = 1 - 1e-6
SCORE_SAME = 1e-5
MAX_IMAGE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ObjectChange:
    index: int
    iou: float
    score_a: float | None
    score_b: float | None


@dataclass(frozen=True)
class InputResult:
    """One input on both models; ``pictures``: A over the image, B, their difference (PNG data URIs, HTML only)."""

    name: str
    objects: tuple[ObjectChange, ...] = ()
    embeddings_cosine: float | None = None
    ari: float | None = None
    objects_a: int | None = None
    objects_b: int | None = None
    note: str = ""
    pictures: tuple[str, ...] = field(default=(), repr=False)

    @property
    def differs(self) -> bool:
        if any(o.iou < 1.0 or _score_moved(o) for o in self.objects):
            return True
        if self.embeddings_cosine is not None and self.embeddings_cosine < COSINE_SAME:
            return True
        return (self.ari is not None and self.ari < 1.0) or self.objects_a != self.objects_b


@dataclass(frozen=True)
class BehaviourDiff:
    """``status``: ``compared``, ``skipped`` (``--static``) or ``not compared`` (``note`` says why)."""

    status: str
    kind: str | None = None
    note: str = ""
    inputs: tuple[InputResult, ...] = ()

    @property
    def differs(self) -> bool:
        return any(r.differs for r in self.inputs)


def _score_moved(o: ObjectChange) -> bool:
    return o.score_a is not None and o.score_b is not None and abs(o.score_a - o.score_b) > SCORE_SAME


def diff_behaviour(kind: str, rdf_a: tuple[Path, dict], rdf_b: tuple[Path, dict], images: Sequence[Path], device: str) -> BehaviourDiff:
    """Run both packages' models on the same inputs and compare their outputs."""
    model_a, model_b = PackageModel("A", *rdf_a), PackageModel("B", *rdf_b)
    named = _add_inputs([], "A's test inputs", _without_embeddings(model_a.test_inputs()))
    named = _add_inputs(named, "B's test inputs", _without_embeddings(model_b.test_inputs()))
    named += [(f"image {p.name}", _image_inputs(p, named[0][1], kind)) for p in images]
    out_a = model_a.run([x for _, x in named], device)
    out_b = model_b.run([x for _, x in named], device)
    results = tuple(_compare(kind, name, x, a, b) for (name, x), a, b in zip(named, out_a, out_b, strict=True))
    return BehaviourDiff("compared", kind, inputs=results)


def _add_inputs(named: list, name: str, inputs: dict[str, np.ndarray]) -> list:
    for i, (other, known) in enumerate(named):
        if known.keys() == inputs.keys() and all(np.array_equal(known[k], inputs[k]) for k in known):
            named[i] = ("test inputs (the same in A and B)", known) if other.startswith("A's") else (other, known)
            return named
    return [*named, (name, inputs)]


def _without_embeddings(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v for k, v in inputs.items() if k != "embeddings"}


def _image_inputs(path: Path, like: dict[str, np.ndarray], kind: str) -> dict[str, np.ndarray]:
    """``path`` as the models' ``image`` input (channels and dtype of the test image), with four box prompts when interactive."""
    from PIL import Image, UnidentifiedImageError

    test = like.get("image")
    if test is None or test.ndim != 4:
        raise CompareError("--image: the test image is not (batch, channel, y, x); cannot make an input like it")
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise CompareError(f"--image {path.name}: larger than {MAX_IMAGE_BYTES // 2**20} MiB")
        with Image.open(path) as img:
            img.load()
            arr = np.asarray(img.convert("RGB" if test.shape[1] == 3 else "L"))
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as e:
        raise CompareError(f"--image {path.name}: not a readable image ({one_line(e, 120)})") from None
    arr = arr.transpose(2, 0, 1) if arr.ndim == 3 else arr[None]
    out = {"image": arr[None].astype(test.dtype)}
    if kind == "interactive":
        h, w = arr.shape[-2:]
        boxes = [[x * w // 4, y * h // 4, (x + 1) * w // 4 + w // 8, (y + 1) * h // 4 + h // 8] for x, y in ((0, 0), (2, 0), (0, 2), (2, 2))]
        out["box_prompts"] = np.asarray([boxes], dtype=like.get("box_prompts", np.zeros(0, np.int64)).dtype)
    return out


def _compare(kind: str, name: str, inputs: dict, a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> InputResult:
    image = inputs["image"][0] if "image" in inputs else None
    if kind == "interactive":
        return _compare_interactive(name, image, a, b)
    return _compare_automatic(name, image, a, b)


def _compare_interactive(name: str, image, a: dict, b: dict) -> InputResult:
    ma, mb = a.get("masks"), b.get("masks")
    if ma is None or mb is None or ma.shape != mb.shape:
        return InputResult(name, note=f"masks not comparable (shapes {getattr(ma, 'shape', None)} and {getattr(mb, 'shape', None)})")
    sa, sb = a.get("scores"), b.get("scores")
    objects = [ObjectChange(i, iou(ma[0, i], mb[0, i]), _score(sa, i), _score(sb, i)) for i in range(ma.shape[1])]
    ea, eb = a.get("embeddings"), b.get("embeddings")
    cos = cosine(ea, eb) if ea is not None and eb is not None and ea.shape == eb.shape else None
    pictures = _pictures(image, _union(ma), _union(mb))
    return InputResult(name, tuple(objects), cos, pictures=pictures)


def _compare_automatic(name: str, image, a: dict, b: dict) -> InputResult:
    la, lb = next(iter(a.values()), None), next(iter(b.values()), None)
    if la is None or lb is None or la.shape != lb.shape:
        return InputResult(name, note="label images not comparable (different shapes)")
    pictures = _pictures(image, la.reshape(la.shape[-2:]) if la.size == np.prod(la.shape[-2:]) else la, lb.reshape(lb.shape[-2:]) if lb.size == np.prod(lb.shape[-2:]) else lb)
    return InputResult(name, ari=adjusted_rand_index(la, lb), objects_a=object_count(la), objects_b=object_count(lb), pictures=pictures)


def _score(scores: np.ndarray | None, i: int) -> float | None:
    """Object ``i``'s first score of a (1, objects, ...) output."""
    if scores is None or scores.ndim < 2 or scores.shape[1] <= i:
        return None
    return float(np.ravel(scores[0, i])[0])


def _union(masks: np.ndarray) -> np.ndarray:
    """All objects' first masks of a (1, objects, k, y, x) output as one (y, x) mask."""
    m = masks.reshape(-1, *masks.shape[-2:])
    per_object = masks.reshape(masks.shape[1], -1, *masks.shape[-2:])[:, 0] if masks.ndim == 5 else m
    return per_object.any(axis=0)


def _pictures(image, mask_a: np.ndarray, mask_b: np.ndarray) -> tuple[str, ...]:
    if image is None or mask_a.ndim != 2 or mask_b.shape != mask_a.shape or image.shape[-2:] != mask_a.shape:
        return ()
    return overlays(image, mask_a, mask_b)
