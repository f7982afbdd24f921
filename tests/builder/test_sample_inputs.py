"""Sample inputs (builder/sample_inputs.py): the test image, labels and prompts; untrusted image files bounded."""

from __future__ import annotations

import numpy as np
import pytest

from samzoo.builder import sample_inputs
from samzoo.plumbing.errors import ArgumentError, SamzooError


@pytest.mark.parametrize("domain", ["light_microscopy", "electron_microscopy", "histopathology", "medical_imaging", "natural"])
def test_domain_test_inputs(domain):
    t = sample_inputs.load_sample_inputs(domain)
    c = t.image.shape[2]
    n = len(t.object_ids)
    assert c == 3 and t.image.dtype == np.uint8 and 1 <= n <= 2
    assert t.box_prompts.shape == (1, n, 4) and t.box_prompts.dtype == np.int64
    assert t.point_prompts.shape == (1, n, 3, 2) and t.point_labels.shape == (1, n, 3)
    assert t.mask_prompts.shape == (1, n, 1, 256, 256) and t.mask_prompts.dtype == np.float32
    for i, obj in enumerate(t.object_ids):
        x, y = t.point_prompts[0, i, 0]
        assert t.labels[y, x] == obj  # the positive point is inside its object
        x0, y0, x1, y1 = t.box_prompts[0, i]
        ys, xs = np.nonzero(t.labels == obj)
        assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max(), ys.max())
        for (px, py), lab in zip(t.point_prompts[0, i, 1:], t.point_labels[0, i, 1:], strict=True):
            assert lab == -1 or t.labels[py, px] == 0  # negatives lie on background


def test_user_image_and_labels(tmp_path):
    import imageio.v3 as iio
    import skimage.data

    image = skimage.data.coins()  # 303 x 384, not square
    labels = np.zeros(image.shape, np.uint16)
    labels[50:90, 60:120] = 7
    labels[200:260, 300:330] = 3
    iio.imwrite(tmp_path / "img.png", image)
    iio.imwrite(tmp_path / "lab.tif", labels)
    t = sample_inputs.load_sample_inputs("natural", tmp_path / "img.png", tmp_path / "lab.tif")
    assert t.image.shape == (303, 384, 3)
    assert t.object_ids == (7, 3)  # largest first
    assert t.box_prompts[0].tolist() == [[60, 50, 119, 89], [300, 200, 329, 259]]


@pytest.mark.parametrize("array, match", [
    (np.zeros((4, 30, 30), np.uint8), "2D greyscale"),
    (np.zeros((30,), np.uint8), "2D greyscale"),
])


def test_bad_images(array, match):
    with pytest.raises(SamzooError, match=match):
        sample_inputs.to_rgb_uint8(array)


def test_bad_labels():
    image = np.zeros((20, 20, 3), np.uint8)
    with pytest.raises(SamzooError, match="no objects"):
        sample_inputs.check_labels(np.zeros((20, 20), np.int32), image)
    with pytest.raises(SamzooError, match="20 x 20"):
        sample_inputs.check_labels(np.ones((10, 20), np.int32), image)
    with pytest.raises(SamzooError, match="integer"):
        sample_inputs.check_labels(np.ones((20, 20), np.float32), image)


def test_bad_test_data_names_the_python_argument(tmp_path):
    """Errors about the test data are ArgumentErrors of ``image``/``labels`` and never mention CLI flags."""
    np.save(tmp_path / "img.npy", np.zeros((4, 30, 30), np.uint8))
    np.save(tmp_path / "grey.npy", (np.arange(64 * 64) % 251).reshape(64, 64).astype(np.uint8))
    np.save(tmp_path / "empty.npy", np.zeros((64, 64), np.int32))
    cases = [
        (("natural", None, tmp_path / "empty.npy"), "labels", "without an image"),
        (("natural", tmp_path / "nope.png"), "image", "does not exist"),
        (("natural", tmp_path / "img.npy"), "image", "2D greyscale"),
        (("natural", tmp_path / "grey.npy", tmp_path / "nope.png"), "labels", "does not exist"),
        (("natural", tmp_path / "grey.npy", tmp_path / "empty.npy"), "labels", "no objects"),
    ]
    for args, argument, words in cases:
        with pytest.raises(ArgumentError, match=words) as e:
            sample_inputs.load_sample_inputs(*args)
        assert e.value.argument == argument and "--" not in str(e.value), (args, str(e.value))


def test_non_uint8_images_are_rescaled():
    img = np.linspace(0, 4000, 64 * 64, dtype=np.float64).reshape(64, 64).astype(np.uint16)
    out = sample_inputs.to_rgb_uint8(img)
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8 and out.min() == 0 and out.max() == 255


# --- untrusted image files: the size is read from the header and refused before a pixel is decoded ------------

def _forged_png(path, width: int, height: int):
    """A PNG whose header claims ``width`` x ``height`` pixels, with almost no pixel data (decoding it would fail)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


def _forged_npy(path, shape, dtype="<f8"):
    """A .npy file whose header declares ``shape`` and that holds no data."""
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": dtype, "fortran_order": False, "shape": tuple(shape)})
    return path


@pytest.mark.parametrize("make, words", [
    (lambda p: _forged_png(p / "big.png", 13000, 13000), "is 13000 x 13000 pixels"),
    (lambda p: _forged_npy(p / "big.npy", (13000, 13000, 3)), "is 13000 x 13000 pixels"),
    (lambda p: _forged_npy(p / "wide.npy", (2, 20_000_000)), "is 2 x 20000000 pixels"),
    (lambda p: _forged_npy(p / "channels.npy", (1000, 1000, 100)), "shape (1000, 1000, 100)"),
    (lambda p: _forged_npy(p / "flat.npy", (10**10,)), "shape (10000000000,)"),
])
def test_an_image_over_the_limit_is_refused_from_its_header(tmp_path, make, words):
    """The header alone decides: these files hold (almost) no pixels, so a decoder would fail on them with another message."""
    path = make(tmp_path)
    with pytest.raises(ArgumentError, match="at most") as e:
        sample_inputs.read_array(path, "image")
    assert words in str(e.value) and e.value.argument == "image" and "\n" not in str(e.value)


def test_a_big_tiff_is_refused_from_its_header(tmp_path):
    import tifffile

    tifffile.imwrite(tmp_path / "big.tif", shape=(5000, 5000), dtype=np.uint8)  # header and empty strips: no pixels written
    with pytest.raises(ArgumentError, match="5000 x 5000 pixels"):
        sample_inputs.read_array(tmp_path / "big.tif", "labels")


def test_images_up_to_the_limit_pass_the_size_check(tmp_path):
    side = sample_inputs.MAX_INPUT_SIDE
    sample_inputs.check_image_size((side, side, 4), tmp_path / "x.png", "image")  # RGBA at the limit
    sample_inputs.check_image_size((side // 2, side * 2), tmp_path / "x.png", "image")  # the pixel count decides, not a side
    with pytest.raises(ArgumentError):
        sample_inputs.check_image_size((side + 1, side), tmp_path / "x.png", "image")


def test_a_file_without_a_readable_header_is_one_line(tmp_path):
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
    for name in ("junk.png", "junk.npy"):
        with pytest.raises(ArgumentError, match="cannot read") as e:
            sample_inputs.read_array(tmp_path / name, "image")
        assert "\n" not in str(e.value)


def test_the_cli_refuses_a_huge_image_in_one_line_with_little_memory(tmp_path, vit_t_checkpoint):
    """``samzoo build --image`` of a 13000 x 13000 PNG: exit 2 from the header, far below the 4.7 GB its decoding took."""
    import subprocess
    import sys

    image = _forged_png(tmp_path / "big.png", 13000, 13000)
    out = tmp_path / "out"
    code = ("import resource, subprocess, sys\n"
            "p = subprocess.run([sys.executable, '-m', 'samzoo', *sys.argv[1:]], capture_output=True, text=True)\n"
            "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "sys.stderr.write(p.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code, "build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint),
                           "--image", str(image), "-o", str(out / "p.zip")], capture_output=True, text=True, timeout=600)
    returncode, peak_kib = map(int, proc.stdout.split())
    errors = [line for line in proc.stderr.splitlines() if line.startswith("samzoo: error:")]
    assert returncode == 2 and len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "--image:" in errors[0] and "13000 x 13000 pixels" in errors[0]
    assert peak_kib * 1024 < 1.5e9, f"peak {peak_kib / 1e6:.2f} GB"  # the process with torch and the checkpoint loaded
    assert not out.exists() or list(out.iterdir()) == []
