"""Sample inputs of a package: the image, label image and prompts its test tensors are made of.

Without an ``image`` (and ``labels``) file the image is a real sample of the model's
domain shipped inside scikit-image (no download) and the labels come from an
Otsu threshold of it. Prompts are derived from the (up to) two largest objects
of the label image, as micro-sam's exporter does: one box, one positive and
two negative points, and a mask-logit prompt per object.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..plumbing.errors import ArgumentError, SamzooError, one_line

#: longest side of a default test image (keeps test tensors and covers small)
MAX_SIDE = 512
#: the largest image (and label image) file accepted, checked from its header before decoding: the test
#: image is shipped in the package (4096 x 4096 RGB: 48 MiB); a larger one would only make packages huge
MAX_INPUT_SIDE = 4096
MAX_IMAGE_PIXELS = MAX_INPUT_SIDE * MAX_INPUT_SIDE
MAX_OBJECTS = 2
MASK_PROMPT_SIZE = 256
_LOGIT = 8.0

#: domain -> (scikit-image loader name, what it shows)
DOMAIN_IMAGES: dict[str, tuple[str, str]] = {
    "light_microscopy": ("cell", "skimage.data.cell(): a phase-contrast light microscopy image of cells (cell.png)"),
    "electron_microscopy": (
        "coins",
        "skimage.data.coins(): greyscale round objects on a background, a stand-in for organelles "
        "in EM (scikit-image ships no electron micrograph)",
    ),
    "histopathology": ("immunohistochemistry", "skimage.data.immunohistochemistry(): an IHC-stained tissue section (ihc.png)"),
    "medical_imaging": ("microaneurysms", "skimage.data.microaneurysms(): a greyscale retinal fundus detail with microaneurysms (microaneurysms.png)"),
    "natural": ("astronaut", "skimage.data.astronaut(): a natural RGB photograph (astronaut.png)"),
}


@dataclass(frozen=True)
class SampleInputs:
    """The image and prompts a package is tested with (arrays in the packages' tensor layouts)."""

    image: np.ndarray  # H x W x 3 uint8
    labels: np.ndarray  # H x W int32
    box_prompts: np.ndarray  # 1 x O x 4 int64 (x0, y0, x1, y1)
    point_prompts: np.ndarray  # 1 x O x 3 x 2 int64 (x, y)
    point_labels: np.ndarray  # 1 x O x 3 int64
    mask_prompts: np.ndarray  # 1 x O x 1 x 256 x 256 float32
    object_ids: tuple[int, ...]
    source: str  # the image and where its labels came from (the prompts are derived from the labels)
    image_source: str = ""  # the image alone: what an automatic package, which uses no labels, was tested with

    @property
    def image_bchw(self) -> np.ndarray:
        return np.ascontiguousarray(self.image.transpose(2, 0, 1)[None])


# --- images ------------------------------------------------------------------------

def to_rgb_uint8(image: np.ndarray, what: str = "the array") -> np.ndarray:
    """H x W (grey) or H x W x 3/4 (RGB/RGBA) of any numeric dtype -> H x W x 3 uint8.

    A bad image is an :class:`ArgumentError` of the ``image`` argument; ``what`` names it in the message.
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 4:
        image = image[..., :3]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[-1] == 3)):
        raise ArgumentError("image", f"{what} has shape {image.shape}; pass a 2D greyscale (H x W) or RGB (H x W x 3) image")
    if min(image.shape[:2]) < 8:
        raise ArgumentError("image", f"{what} is {image.shape[0]} x {image.shape[1]} pixels; pass an image of at least 8 x 8")
    if not (np.issubdtype(image.dtype, np.number) or image.dtype == bool):
        raise ArgumentError("image", f"{what} has dtype {image.dtype}; pass a numeric image")
    if image.dtype != np.uint8:
        data = image.astype(np.float64)
        lo, hi = np.percentile(data, (0.5, 99.5))
        if hi <= lo:
            lo, hi = float(data.min()), float(data.max()) or 1.0
        image = (np.clip((data - lo) / max(hi - lo, 1e-12), 0, 1) * 255 + 0.5).astype(np.uint8)
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image)


def square_and_shrink(image: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """Centre-crop to a square and shrink to at most ``max_side`` (for the built-in sample images)."""
    from skimage.transform import resize

    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    image = image[top:top + side, left:left + side]
    if side > max_side:
        image = resize(image, (max_side, max_side), order=1, anti_aliasing=True, preserve_range=True)
        image = np.clip(image + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image)


def domain_image(domain: str) -> tuple[np.ndarray, str]:
    """The built-in test image of ``domain`` (H x W x 3 uint8) and a description of it."""
    import skimage.data

    loader, about = DOMAIN_IMAGES.get(domain, DOMAIN_IMAGES["natural"])
    return square_and_shrink(to_rgb_uint8(getattr(skimage.data, loader)())), about


def check_image_file(path: str | Path, argument: str) -> Path:
    """``path`` as a :class:`Path` if it is an image file whose header gives an acceptable size; an ``argument``
    error (a folder, a missing file, an image too large) otherwise. Reads the header only."""
    path = Path(path)
    if path.is_dir():
        raise ArgumentError(argument, f"{path} is a folder; pass an image file in it (PNG, TIFF, JPEG, ... or .npy)")
    if not path.is_file():
        raise ArgumentError(argument, f"file {path} does not exist; check the path")
    check_image_size(_header_shape(path, argument), path, argument)
    return path


def read_array(path: str | Path, argument: str) -> np.ndarray:
    """Read an image file (PNG, TIFF, JPEG, ... or .npy) into an array; an ``argument`` error otherwise.

    The file is untrusted: its size is read from its header and checked (:func:`check_image_size`)
    before a pixel is decoded.
    """
    path = check_image_file(path, argument)
    try:
        if path.suffix.lower() == ".npy":
            return np.load(path, allow_pickle=False)
        import imageio.v3 as iio

        return np.asarray(iio.imread(path))
    except Exception as e:  # imageio raises many types for unreadable files
        raise ArgumentError(argument, f"cannot read {path} ({_first_line(e)}); pass a PNG, TIFF, JPEG or .npy file") from None


def _first_line(e: BaseException) -> str:
    return one_line(e, 120) or type(e).__name__


def _header_shape(path: Path, argument: str) -> tuple[int, ...]:
    """The array shape an image file declares in its header (nothing decoded): .npy, TIFF (tifffile), else Pillow."""
    import warnings

    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            with open(path, "rb") as f:
                major, _ = np.lib.format.read_magic(f)
                read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
                return tuple(read_header(f)[0])
        if suffix in (".tif", ".tiff"):
            import tifffile

            with tifffile.TiffFile(path) as tif:
                return tuple(tif.series[0].shape) if tif.series else ()
        from PIL import Image

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's bomb warning: the size is checked below
            with Image.open(path) as img:
                return (img.size[1], img.size[0], len(img.getbands()))
    except Exception as e:  # each reader raises its own types for a malformed header
        raise ArgumentError(argument, f"cannot read {path} ({_first_line(e)}); pass a PNG, TIFF, JPEG or .npy file") from None


def check_image_size(shape: tuple[int, ...], path: Path, argument: str) -> None:
    """Refuse an image of more than :data:`MAX_IMAGE_PIXELS` pixels (or channels beyond RGBA) from its declared ``shape``."""
    elements = int(np.prod(shape, dtype=object))  # any number of axes: to_rgb_uint8 names a shape that is no image
    h, w = (int(shape[0]), int(shape[1])) if len(shape) >= 2 else (elements, 1)
    if h * w > MAX_IMAGE_PIXELS or elements > 4 * MAX_IMAGE_PIXELS:
        raise ArgumentError(argument, f"{path} is {h} x {w} pixels (shape {tuple(shape)}); pass an image of at most "
                                      f"{MAX_IMAGE_PIXELS} pixels (e.g. {MAX_INPUT_SIDE} x {MAX_INPUT_SIDE}), cropped or shrunk")


# --- labels and prompts ------------------------------------------------------------------

def threshold_labels(image: np.ndarray) -> np.ndarray:
    """Objects of an RGB image: Otsu threshold (minority side as foreground), small specks removed, labelled."""
    from skimage.filters import threshold_otsu
    from skimage.measure import label
    from skimage.morphology import remove_small_objects

    grey = image.astype(np.float32).mean(axis=-1)
    foreground = grey > threshold_otsu(grey)
    if foreground.mean() > 0.5:
        foreground = ~foreground
    foreground = remove_small_objects(foreground, max_size=max(16, grey.size // 4000))
    return label(foreground).astype(np.int32)


def check_labels(labels: np.ndarray, image: np.ndarray) -> np.ndarray:
    """A 2D integer label image of the image's size with at least one object."""
    labels = np.asarray(labels)
    if labels.ndim == 3 and labels.shape[-1] in (3, 4) and labels.shape[:2] == image.shape[:2]:
        colour = range(1, 3)  # an RGB(A) rendering of a label image: all colour channels equal
        if all(np.array_equal(labels[..., 0], labels[..., c]) for c in colour):
            labels = labels[..., 0]
    if labels.ndim != 2:
        raise ArgumentError("labels", f"the label image has shape {labels.shape}; pass a 2D label image (H x W, 0 = background)")
    if labels.shape != image.shape[:2]:
        raise ArgumentError(
            "labels",
            f"the label image is {labels.shape[0]} x {labels.shape[1]} but the image is {image.shape[0]} x {image.shape[1]}; "
            "pass the label image of that image",
        )
    if not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool):
        raise ArgumentError("labels", f"the label image has dtype {labels.dtype}; pass an integer label image (0 = background)")
    labels = labels.astype(np.int64)
    if not (labels > 0).any():
        raise ArgumentError("labels", "the label image has no objects (all pixels are 0); pass one with at least one object")
    return labels


def largest_objects(labels: np.ndarray, n: int = MAX_OBJECTS) -> tuple[int, ...]:
    """Ids of the ``n`` largest objects, preferring objects that do not touch the border."""
    ids, counts = np.unique(labels[labels > 0], return_counts=True)
    border = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])).tolist())
    order = sorted(zip(ids.tolist(), counts.tolist(), strict=True), key=lambda ic: (ic[0] in border, -ic[1], ic[0]))
    return tuple(int(i) for i, _ in order[:n])


def _points(mask: np.ndarray, labels: np.ndarray) -> tuple[list[list[int]], list[int]]:
    """One positive point (the object's innermost pixel) and two negative points just outside it."""
    from scipy import ndimage

    dist = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    points, point_labels = [[int(x), int(y)]], [1]
    ring = ndimage.binary_dilation(mask, iterations=3) & ~mask & (labels == 0)
    ys, xs = np.nonzero(ring)
    if len(ys):
        for i in (0, len(ys) - 1):  # top-most and bottom-most ring pixel
            points.append([int(xs[i]), int(ys[i])])
            point_labels.append(0)
    while len(points) < 3:  # SAM's padding point: label -1 is ignored
        points.append([0, 0])
        point_labels.append(-1)
    return points, point_labels


def mask_logits(mask: np.ndarray) -> np.ndarray:
    """A 256 x 256 mask-logit prompt of an object mask, in SAM's low-resolution frame (resized, padded)."""
    import torch
    import torch.nn.functional as F

    h, w = mask.shape
    scale = MASK_PROMPT_SIZE / max(h, w)
    new_h, new_w = int(h * scale + 0.5), int(w * scale + 0.5)
    m = torch.from_numpy(mask.astype(np.float32))[None, None]
    m = F.interpolate(m, (new_h, new_w), mode="bilinear", align_corners=False)[0, 0].numpy()
    out = np.full((MASK_PROMPT_SIZE, MASK_PROMPT_SIZE), -_LOGIT, dtype=np.float32)
    out[:new_h, :new_w] = (m - 0.5) * 2 * _LOGIT
    return out


def make_sample_inputs(image: np.ndarray, labels: np.ndarray, source: str, image_source: str = "") -> SampleInputs:
    """Prompts for the largest objects of ``labels`` on ``image`` (H x W x 3 uint8)."""
    ids = largest_objects(labels)
    boxes, points, point_labels, masks = [], [], [], []
    for obj in ids:
        mask = labels == obj
        ys, xs = np.nonzero(mask)
        boxes.append([int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())])
        p, pl = _points(mask, labels)
        points.append(p)
        point_labels.append(pl)
        masks.append(mask_logits(mask)[None])
    return SampleInputs(
        image=image,
        labels=labels.astype(np.int32),
        box_prompts=np.asarray([boxes], dtype=np.int64),
        point_prompts=np.asarray([points], dtype=np.int64),
        point_labels=np.asarray([point_labels], dtype=np.int64),
        mask_prompts=np.asarray([masks], dtype=np.float32),
        object_ids=ids,
        source=source,
        image_source=image_source or source,
    )


def load_sample_inputs(domain: str, image_path: str | Path | None = None, labels_path: str | Path | None = None) -> SampleInputs:
    """Sample inputs from ``image_path`` (and ``labels_path``) files, or from the domain's built-in image."""
    if labels_path is not None and image_path is None:
        raise ArgumentError("labels", "given without an image; pass the image these labels belong to as well")
    if image_path is None:
        image, about = domain_image(domain)
        labels = threshold_labels(image)
        if not (labels > 0).any():  # pragma: no cover - the built-in images all have objects
            raise SamzooError(f"no objects found in the built-in {domain} image; pass an image and its labels")
        return make_sample_inputs(image, labels, about + "; labels: Otsu threshold", about)
    image = to_rgb_uint8(read_array(image_path, "image"), str(image_path))
    if labels_path is None:
        labels = threshold_labels(image)
        if not (labels > 0).any():
            raise ArgumentError("labels", f"needed: thresholding finds no objects in {image_path}; pass a label image of it")
        return make_sample_inputs(image, labels, f"{Path(image_path).name}; labels: Otsu threshold", Path(image_path).name)
    labels = check_labels(read_array(labels_path, "labels"), image)
    return make_sample_inputs(image, labels, f"{Path(image_path).name} with labels {Path(labels_path).name}",
                              Path(image_path).name)
