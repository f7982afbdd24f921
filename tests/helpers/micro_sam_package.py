"""Write a BioImage.IO package laid out exactly as micro-sam 1.8.14's ``export_sam_model`` writes it.

micro-sam is not a dependency; this module reproduces its exporter
(``micro_sam/bioimageio/model_export.py``) and its architecture file
(``micro_sam/bioimageio/predictor_adaptor.py``) for tests and benchmarks:
the same rdf fields (authors, cite, tags, license, git_repo, documentation,
covers, environment file), the same six inputs (``image`` uint8 B,C=RGB,y,x
with ParameterizedSize(1, 1); optional ``box_prompts``, ``point_prompts``,
``point_labels`` int64, ``mask_prompts`` float32 B,object,channel,256,256,
``embeddings`` float32 B,256,64,64), the same three outputs (``masks``
uint8, ``scores`` float32, ``embeddings`` float32), and ``pytorch_state_dict``
weights with the ``PredictorAdaptor`` architecture (including its cache:
image embeddings, once set, are reused while no ``embeddings`` input is
given). Test outputs are computed by running that architecture on a real
scikit-image picture.

``variant`` builds deliberately broken packages from the same code:

* ``"broken_test_output"``: the stored ``masks`` test output is inverted;
* ``"wrong_hash"``: the weight file is changed after its sha256 was recorded;
* ``"ignores_image"``: the architecture (without the cache) encodes a constant image instead of its input;
* ``"raises"``: the architecture's constructor raises;
* ``"fixed_cache"``: micro-sam's architecture without the embedding cache (recomputes per image);
* ``"kills_its_process"``: the architecture's constructor kills the process it runs in (SIGKILL), as
  the system does to a process out of memory: validate it only in a worker process;
* ``"swapped_encoder"``: the image encoder's weights are replaced (by another random initialisation)
  after the test outputs were made; prompt encoder and mask decoder stay;
* ``"no_strict"``: ``load_state_dict(self, state)`` without ``strict``, as micro-sam's ``PredictorAdaptor`` has it;
* ``"fork_outputs"``: the test outputs are made under the fork ``segment-anything-py``'s resize (what micro-sam,
  which declares the fork, writes);
* ``"fork_swapped_encoder"``: both: made under the fork, then the image encoder's weights replaced.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

ADAPTOR_SOURCE = '''import warnings
from typing import Optional, Tuple

import torch
from torch import nn

from segment_anything.predictor import SamPredictor

try:
    # Avoid import warnings from mobile_sam
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mobile_sam import sam_model_registry
except ImportError:
    from segment_anything import sam_model_registry


class PredictorAdaptor(nn.Module):
    """Wrapper around the SamPredictor.

    This model supports the same functionality as SamPredictor and can provide mask segmentations
    from box, point or mask input prompts.

    Args:
        model_type: The type of the model for the image encoder.
            Can be one of 'vit_b', 'vit_l', 'vit_h' or 'vit_t'.
            For 'vit_t' support the 'mobile_sam' package has to be installed.
    """
    def __init__(self, model_type: str) -> None:
        super().__init__()
        #@INIT@
        self.sam_model = sam_model_registry[model_type]()
        self.sam = SamPredictor(self.sam_model)

    def load_state_dict(self, state, **kwargs):
        self.sam.model.load_state_dict(state, **kwargs)

    @torch.no_grad()
    def forward(
        self,
        image: torch.Tensor,
        box_prompts: Optional[torch.Tensor] = None,
        point_prompts: Optional[torch.Tensor] = None,
        point_labels: Optional[torch.Tensor] = None,
        mask_prompts: Optional[torch.Tensor] = None,
        embeddings: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        batch_size = image.shape[0]
        if batch_size != 1:
            raise ValueError

        # Cast to float for MPS compatibility: F.interpolate with antialias=True
        # only supports floating-point dtypes on MPS (Apple Silicon).
        image_float = image.float() if not image.is_floating_point() else image
        #@IMAGE@

        # We have image embeddings set and image embeddings were not passed.
        if self.sam.is_image_set and embeddings is None:
            pass  # do nothing

        # The embeddings are passed, so we set them.
        elif embeddings is not None:
            self.sam.features = embeddings
            self.sam.orig_h, self.sam.orig_w = image.shape[2:]
            self.sam.input_h, self.sam.input_w = self.sam.transform.apply_image_torch(image_float).shape[2:]
            self.sam.is_image_set = True

        # We don't have image embeddings set and they were not passed.
        elif not self.sam.is_image_set:
            input_ = self.sam.transform.apply_image_torch(image_float)
            self.sam.set_torch_image(input_, original_image_size=image.shape[2:])
            self.sam.orig_h, self.sam.orig_w = self.sam.original_size
            self.sam.input_h, self.sam.input_w = self.sam.input_size

        assert self.sam.is_image_set, "The predictor has not yet been initialized."

        # Ensure input size and original size are set.
        self.sam.input_size = (self.sam.input_h, self.sam.input_w)
        self.sam.original_size = (self.sam.orig_h, self.sam.orig_w)

        if box_prompts is None:
            boxes = None
        else:
            boxes = self.sam.transform.apply_boxes_torch(box_prompts, original_size=self.sam.original_size)

        if point_prompts is None:
            point_coords = None
        else:
            assert point_labels is not None
            point_coords = self.sam.transform.apply_coords_torch(point_prompts, original_size=self.sam.original_size)[0]
            point_labels = point_labels[0]

        if mask_prompts is None:
            mask_input = None
        else:
            mask_input = mask_prompts[0]

        masks, scores, _ = self.sam.predict_torch(
            point_coords=point_coords,
            point_labels=point_labels,
            boxes=boxes,
            mask_input=mask_input,
            multimask_output=False
        )

        assert masks.shape[2:] == image.shape[2:], \\
            f"{masks.shape[2:]} is not as expected ({image.shape[2:]})"

        # Ensure batch axis.
        if masks.ndim == 4:
            masks = masks[None]
            assert scores.ndim == 2
            scores = scores[None]

        embeddings = self.sam.get_image_embedding()
        return masks.to(dtype=torch.uint8), scores, embeddings
'''

VARIANTS = ("good", "broken_test_output", "wrong_hash", "ignores_image", "raises", "fixed_cache", "kills_its_process",
            "swapped_encoder", "no_strict", "fork_outputs", "fork_swapped_encoder")


def adaptor_source(variant: str = "good") -> str:
    """The architecture file's text for ``variant``."""
    src = ADAPTOR_SOURCE
    if variant == "ignores_image":  # without the cache, so that ignoring the image is observable
        src = adaptor_source("fixed_cache").replace("#@IMAGE@", "image_float = torch.full_like(image_float, 128.0)  # ignores its input")
    elif variant == "raises":
        src = src.replace("#@INIT@", 'raise RuntimeError("this architecture is broken on purpose")')
    elif variant == "kills_its_process":
        src = src.replace("#@INIT@", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    elif variant == "no_strict":
        src = src.replace("def load_state_dict(self, state, **kwargs):\n        self.sam.model.load_state_dict(state, **kwargs)",
                          "def load_state_dict(self, state):\n        self.sam.model.load_state_dict(state)")
    elif variant == "fixed_cache":
        src = src.replace("if self.sam.is_image_set and embeddings is None:", "if False:")
        src = src.replace("elif not self.sam.is_image_set:", "else:")
    return src


def test_image(size: int = 256) -> np.ndarray:
    """A real light-microscopy picture (scikit-image's ``cell``), ``size`` x ``size`` RGB uint8."""
    from skimage import data

    cell = data.cell()[:size, :size]
    return np.stack([cell] * 3, axis=-1).astype("uint8")


def _labels(image: np.ndarray) -> np.ndarray:
    """Two objects of the image as a label image: the two largest Otsu components."""
    from skimage.filters import gaussian, threshold_otsu
    from skimage.measure import label, regionprops

    gray = gaussian(image[..., 0].astype("float32"), sigma=2, preserve_range=True)
    components = label(gray > threshold_otsu(gray))
    props = sorted(regionprops(components), key=lambda p: p.area, reverse=True)
    out = np.zeros(components.shape, dtype="uint32")
    for new_id, p in enumerate(props[:2], start=1):
        out[components == p.label] = new_id
    if out.max() < 2:  # degenerate picture: fall back to two squares
        out[10:60, 10:60], out[100:160, 100:160] = 1, 2
    return out


def _logits_from_mask(mask: np.ndarray) -> np.ndarray:
    """micro-sam's ``_compute_logits_from_mask``: a 1 x 256 x 256 logit map of a binary mask."""
    from skimage.transform import resize

    eps = 1e-3
    m = resize(mask.astype("float32"), (256, 256), order=0, preserve_range=True)
    m = np.clip(m, eps, 1 - eps)
    return np.log(m / (1 - m))[None].astype("float32")


def _prompts(labels: np.ndarray) -> dict[str, np.ndarray]:
    boxes, points, point_labels, masks = [], [], [], []
    rng = np.random.default_rng(0)
    for obj in (1, 2):
        ys, xs = np.nonzero(labels == obj)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        i = rng.integers(len(ys))
        bg_y, bg_x = np.nonzero(labels == 0)
        j = rng.integers(len(bg_y), size=2)
        points.append([[xs[i], ys[i]], [bg_x[j[0]], bg_y[j[0]]], [bg_x[j[1]], bg_y[j[1]]]])
        point_labels.append([1, 0, 0])
        masks.append(_logits_from_mask(labels == obj))
    return {
        "box_prompts": np.asarray(boxes, dtype="int64")[None],
        "point_prompts": np.asarray(points, dtype="int64")[None],
        "point_labels": np.asarray(point_labels, dtype="int64")[None],
        "mask_prompts": np.stack(masks)[None],
    }


def _import_adaptor(path: Path):
    spec = importlib.util.spec_from_file_location(f"_adaptor_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PredictorAdaptor


def _cover(image: np.ndarray, mask: np.ndarray, path: Path) -> None:
    """A 2:1 cover: the image and the predicted mask outline side by side (JPEG, small)."""
    import imageio.v3 as iio
    from skimage.segmentation import find_boundaries

    overlay = image.copy()
    overlay[find_boundaries(mask.astype(bool))] = (255, 0, 0)
    iio.imwrite(path, np.concatenate([image, overlay], axis=1), extension=".jpeg", quality=85)


def write_micro_sam_package(
    out: str | Path,
    checkpoint: str | Path,
    encoder: str = "vit_t",
    variant: str = "good",
    *,
    as_folder: bool = False,
    image: np.ndarray | None = None,
    extra: dict | None = None,
) -> Path:
    """Export ``checkpoint`` as micro-sam 1.8.14 would; return the zip (or the folder with ``as_folder``).

    ``extra`` are additional ``ModelDescr`` fields (``id``, ``id_emoji``, ``version``, ...),
    as micro-sam passes them through its ``**kwargs``.
    """
    import bioimageio.spec.model.v0_5 as spec
    from bioimageio.spec import save_bioimageio_package, save_bioimageio_package_as_folder

    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; one of {VARIANTS}")
    out = Path(out)
    image = test_image() if image is None else image
    arbitrary = spec.ParameterizedSize(min=1, step=1)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        arch = tmp / "predictor_adaptor.py"
        late = variant in ("raises", "kills_its_process")  # the test outputs come from the good architecture
        arch.write_text(adaptor_source("good" if late else variant))
        weights = tmp / Path(checkpoint).name
        shutil.copyfile(checkpoint, weights)

        prompts = _prompts(_labels(image))
        adaptor = _import_adaptor(arch)(model_type=encoder)
        adaptor.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        adaptor.eval()
        input_ = image.transpose(2, 0, 1)[None]
        with _resize_context(variant):
            masks, scores, embeddings = adaptor(
                image=torch.from_numpy(input_), embeddings=None,
                **{k: torch.from_numpy(v) for k, v in prompts.items()},
            )
        if variant in ("swapped_encoder", "fork_swapped_encoder"):
            _swap_encoder(weights, encoder)
        masks, scores, embeddings = masks.numpy(), scores.numpy(), embeddings.numpy()
        if variant == "broken_test_output":
            masks = 1 - masks
        paths = {}
        for name, arr in {"input": input_, **prompts, "mask": masks, "scores": scores, "embeddings": embeddings}.items():
            paths[name] = tmp / f"{name}.npy"
            np.save(paths[name], arr)
        if late:
            arch.write_text(adaptor_source(variant))

        env = tmp / "environment.yaml"
        env.write_text(
            "name: sam\nchannels:\n    - pytorch\n    - conda-forge\ndependencies:\n    - segment-anything"
            + ("\n    - timm\n    - pip:\n        - git+https://github.com/ChaoningZhang/MobileSAM.git" if encoder == "vit_t" else "")
        )
        doc = tmp / "documentation.md"
        doc.write_text(
            "# Segment Anything for Microscopy\nWe extend Segment Anything, a vision foundation model for image "
            "segmentation by training specialized models for microscopy data.\n\n## Validation\n"
            "Tested on a light microscopy image (scikit-image `cell`) with box, point and mask prompts.\n"
        )
        cover = tmp / "cover.jpeg"
        _cover(image, masks[0, 0, 0], cover)

        def tensor(name):
            return spec.FileDescr(source=paths[name])

        inputs = [
            spec.InputTensorDescr(
                id=spec.TensorId("image"),
                axes=[spec.BatchAxis(size=1), spec.ChannelAxis(channel_names=[spec.Identifier(c) for c in "RGB"]),
                      spec.SpaceInputAxis(id=spec.AxisId("y"), size=arbitrary),
                      spec.SpaceInputAxis(id=spec.AxisId("x"), size=arbitrary)],
                test_tensor=tensor("input"), data=spec.IntervalOrRatioDataDescr(type="uint8"),
            ),
            spec.InputTensorDescr(
                id=spec.TensorId("box_prompts"), optional=True,
                axes=[spec.BatchAxis(size=1), spec.IndexInputAxis(id=spec.AxisId("object"), size=arbitrary),
                      spec.ChannelAxis(channel_names=[spec.Identifier(b) for b in "hwxy"])],
                test_tensor=tensor("box_prompts"), data=spec.IntervalOrRatioDataDescr(type="int64"),
            ),
            spec.InputTensorDescr(
                id=spec.TensorId("point_prompts"), optional=True,
                axes=[spec.BatchAxis(size=1), spec.IndexInputAxis(id=spec.AxisId("object"), size=arbitrary),
                      spec.IndexInputAxis(id=spec.AxisId("point"), size=arbitrary),
                      spec.ChannelAxis(channel_names=[spec.Identifier(b) for b in "xy"])],
                test_tensor=tensor("point_prompts"), data=spec.IntervalOrRatioDataDescr(type="int64"),
            ),
            spec.InputTensorDescr(
                id=spec.TensorId("point_labels"), optional=True,
                axes=[spec.BatchAxis(size=1), spec.IndexInputAxis(id=spec.AxisId("object"), size=arbitrary),
                      spec.IndexInputAxis(id=spec.AxisId("point"), size=arbitrary)],
                test_tensor=tensor("point_labels"), data=spec.IntervalOrRatioDataDescr(type="int64"),
            ),
            spec.InputTensorDescr(
                id=spec.TensorId("mask_prompts"), optional=True,
                axes=[spec.BatchAxis(size=1), spec.IndexInputAxis(id=spec.AxisId("object"), size=arbitrary),
                      spec.ChannelAxis(channel_names=["channel"]),
                      spec.SpaceInputAxis(id=spec.AxisId("y"), size=256),
                      spec.SpaceInputAxis(id=spec.AxisId("x"), size=256)],
                test_tensor=tensor("mask_prompts"), data=spec.IntervalOrRatioDataDescr(type="float32"),
            ),
            spec.InputTensorDescr(
                id=spec.TensorId("embeddings"), optional=True,
                axes=[spec.BatchAxis(size=1), spec.ChannelAxis(channel_names=[spec.Identifier(f"c{i}") for i in range(256)]),
                      spec.SpaceInputAxis(id=spec.AxisId("y"), size=64),
                      spec.SpaceInputAxis(id=spec.AxisId("x"), size=64)],
                test_tensor=tensor("embeddings"), data=spec.IntervalOrRatioDataDescr(type="float32"),
            ),
        ]
        image_ref = lambda a: spec.SizeReference(tensor_id=spec.TensorId("image"), axis_id=spec.AxisId(a))  # noqa: E731
        outputs = [
            spec.OutputTensorDescr(
                id=spec.TensorId("masks"),
                axes=[spec.BatchAxis(size=1), spec.IndexOutputAxis(id=spec.AxisId("object"), size=spec.DataDependentSize()),
                      spec.ChannelAxis(channel_names=[spec.Identifier("mask")]),
                      spec.SpaceOutputAxis(id=spec.AxisId("y"), size=image_ref("y")),
                      spec.SpaceOutputAxis(id=spec.AxisId("x"), size=image_ref("x"))],
                data=spec.IntervalOrRatioDataDescr(type="uint8"), test_tensor=tensor("mask"),
            ),
            spec.OutputTensorDescr(
                id=spec.TensorId("scores"),
                axes=[spec.BatchAxis(size=1), spec.IndexOutputAxis(id=spec.AxisId("object"), size=spec.DataDependentSize()),
                      spec.ChannelAxis(channel_names=[spec.Identifier("mask")])],
                data=spec.IntervalOrRatioDataDescr(type="float32"), test_tensor=tensor("scores"),
            ),
            spec.OutputTensorDescr(
                id=spec.TensorId("embeddings"),
                axes=[spec.BatchAxis(size=1), spec.ChannelAxis(channel_names=[spec.Identifier(f"c{i}") for i in range(256)]),
                      spec.SpaceOutputAxis(id=spec.AxisId("y"), size=64),
                      spec.SpaceOutputAxis(id=spec.AxisId("x"), size=64)],
                data=spec.IntervalOrRatioDataDescr(type="float32"), test_tensor=tensor("embeddings"),
            ),
        ]
        weights_descr = spec.WeightsDescr(
            pytorch_state_dict=spec.PytorchStateDictWeightsDescr(
                source=weights,
                architecture=spec.ArchitectureFromFileDescr(source=arch, callable="PredictorAdaptor", kwargs={"model_type": encoder}),
                pytorch_version=spec.Version(torch.__version__),
                dependencies=spec.FileDescr(source=env),
            )
        )
        fields = dict(
            name=f"Segment Anything for Microscopy {encoder} random test weights",
            inputs=inputs, outputs=outputs, weights=weights_descr,
            description="Finetuned Segment Anything Model for Microscopy",
            authors=[
                spec.Author(name="Anwai Archit", affiliation="University Goettingen", github_user="anwai98"),
                spec.Author(name="Constantin Pape", affiliation="University Goettingen", github_user="constantinpape"),
            ],
            cite=[spec.CiteEntry(text="Archit et al. Segment Anything for Microscopy", doi=spec.Doi("10.1038/s41592-024-02580-4"))],
            license=spec.LicenseId("CC-BY-4.0"),
            documentation=spec.FileDescr(source=doc),
            git_repo=spec.HttpUrl("https://github.com/computational-cell-analytics/micro-sam"),
            tags=["segment-anything", "instance-segmentation"],
            covers=[spec.FileDescr(source=cover)],
        )
        fields.update(extra or {})
        descr = spec.ModelDescr(**fields)
        out.parent.mkdir(parents=True, exist_ok=True)
        if as_folder:
            save_bioimageio_package_as_folder(descr, output_path=out)
        else:
            save_bioimageio_package(descr, output_path=out)
    if variant == "wrong_hash":
        _corrupt_weights(out, Path(checkpoint).name)
    return out


def _resize_context(variant: str):
    import contextlib

    if variant not in ("fork_outputs", "fork_swapped_encoder"):
        return contextlib.nullcontext()
    from samzoo.validate.sam_variants import FORK, resize_as

    return resize_as(FORK)


def _swap_encoder(weights: Path, encoder: str) -> None:
    """Replace the image encoder's tensors of ``weights`` by another random initialisation (seed 1)."""
    from samzoo.plumbing.sam_models import save_random_checkpoint

    other = weights.with_name("other_" + weights.name)
    save_random_checkpoint(other, encoder, seed=1)
    state = torch.load(weights, map_location="cpu", weights_only=True)
    new = torch.load(other, map_location="cpu", weights_only=True)
    state.update({k: v for k, v in new.items() if k.startswith("image_encoder.")})
    torch.save(state, weights)
    other.unlink()


def _corrupt_weights(package: Path, weight_name: str) -> None:
    """Flip bytes in the packaged weight file without updating the sha256 the rdf records."""
    import zipfile

    if package.is_dir():
        path = package / weight_name
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        return
    tmp = package.with_name(package.name + ".tmp")
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == weight_name:
                data = bytearray(data)
                data[len(data) // 2] ^= 0xFF
                data = bytes(data)
            dst.writestr(info, data)
    tmp.replace(package)


if __name__ == "__main__":  # pragma: no cover - handy for manual runs
    write_micro_sam_package(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "vit_t",
                            sys.argv[4] if len(sys.argv) > 4 else "good")
    print(hashlib.sha256(Path(sys.argv[1]).read_bytes()).hexdigest() if Path(sys.argv[1]).is_file() else sys.argv[1])
