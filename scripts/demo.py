"""`make demo`: the whole samzoo pipeline, offline, on an embedded default, in a few minutes.

1. makes a random-initialised vit_t checkpoint (a DEMO model: random weights, never publishable);
2. serves it from a local HTTP mirror on 127.0.0.1 and registers it in a temporary user catalog
   as a light-microscopy vit_t model (``vit_t_lm_demo``);
3. builds its BioImage.IO package with a real light-microscopy image (scikit-image's cell.png);
4. validates the package (format, zoo rules, bioimageio.core inference, SAM checks);
5. loads the model back by name through the resolver (download, hash check, cache);
6. segments the demo image with one box prompt and writes an overlay PNG;
7. prints a summary. Everything goes to ``demo_output/`` (or the folder given as argument).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import warnings
from pathlib import Path

DEMO_NAME = "vit_t_lm_demo"


def _stage(timings: dict[str, float], name: str):
    class _Timer:
        def __enter__(self):
            print(f"[{len(timings) + 1}] {name} ...", flush=True)
            self.start = time.perf_counter()

        def __exit__(self, *exc):
            timings[name] = time.perf_counter() - self.start
            if exc[0] is None:
                print(f"    done in {timings[name]:.1f} s", flush=True)

    return _Timer()


OVERLAY_CAPTION = "DEMO: random weights - this mask means nothing"


def _overlay(image, mask, box, path: Path) -> None:
    """The mask in orange, the box prompt in cyan (a colour of its own), and a caption band saying it is a demo."""
    import numpy as np
    from PIL import Image, ImageDraw

    rgb = np.stack([image] * 3, axis=-1) if image.ndim == 2 else image[..., :3]
    rgb = rgb.astype(np.float32)
    rgb[mask] = 0.5 * rgb[mask] + 0.5 * np.array([255.0, 64.0, 0.0])
    band = 18
    canvas = np.zeros((rgb.shape[0] + band, rgb.shape[1], 3), np.float32)
    canvas[band:] = rgb
    pil = Image.fromarray(canvas.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(pil)
    x0, y0, x1, y1 = (int(v) for v in box)
    draw.rectangle([x0, y0 + band, x1, y1 + band], outline=(0, 230, 255), width=2)
    draw.text((4, 3), OVERLAY_CAPTION, fill=(255, 255, 255))
    tmp = path.with_name(f".{path.name}.tmp")
    pil.save(tmp, format="PNG")
    os.replace(tmp, path)


def main(out_dir: str = "demo_output") -> int:
    warnings.filterwarnings("ignore")
    out = Path(out_dir).resolve()
    shutil.rmtree(out, ignore_errors=True)
    (out / "mirror").mkdir(parents=True)
    # the demo never touches the user's own catalog or cache
    os.environ["SAMZOO_CATALOG"] = str(out / "catalog")
    os.environ["SAMZOO_CACHE_DIR"] = str(out / "cache")
    os.environ.pop("SAMZOO_MIRRORS", None)
    os.environ.pop("SAMZOO_OFFLINE", None)

    import numpy as np
    from skimage import data, filters, measure

    from samzoo.plumbing.allocator import keep_freed_memory
    from samzoo.builder import build_package
    from samzoo.plumbing.hashing import file_hash
    from samzoo.plumbing.sam_models import save_random_checkpoint
    from samzoo.catalog.writer import add_model
    from samzoo.resolver import load_predictor
    from samzoo.validate import validate_package
    from samzoo.validate.report import write_report

    keep_freed_memory()  # this process is ours (see samzoo.plumbing.allocator)
    timings: dict[str, float] = {}
    print(f"samzoo demo: build -> validate -> resolve on a random-initialised vit_t (DEMO weights), output in {out}")

    with _stage(timings, "make a random-initialised vit_t checkpoint (demo, never publishable)"):
        checkpoint = out / "mirror" / f"{DEMO_NAME}.pt"
        save_random_checkpoint(checkpoint, "vit_t", seed=0)

    from samzoo.resolver.mirror_server import MirrorServer

    mirror = MirrorServer(out / "mirror")
    mirror.start()
    try:
        with _stage(timings, f"register {DEMO_NAME} in a temporary user catalog, served by {mirror.base_url}"):
            spec_path = add_model(
                DEMO_NAME, encoder="vit_t", weights=f"{mirror.base_url}/{checkpoint.name}", hash=file_hash(checkpoint, "sha256"),
                domain="light_microscopy", authors=["samzoo make demo"],
                description="DEMO ONLY: random-initialised MobileSAM weights made by `make demo`; never publish this model.",
            )

        with _stage(timings, "build the BioImage.IO package (light-microscopy test image: scikit-image cell.png)"):
            result = build_package(DEMO_NAME, checkpoint, output=out / f"{DEMO_NAME}.zip", on_message=lambda m: print(f"    {m}"),
                                   cover_caption="DEMO: random weights - these masks mean nothing",
                                   overwrite=True)  # the demo's own folder: a package of an earlier samzoo is replaced

        with _stage(timings, "validate the package (format, zoo, bioimageio.core inference, SAM checks)"):
            report = validate_package(result.path, device="cpu", catalog=out / "catalog")  # validation is hermetic: name the catalog
            reports = [write_report([report], out / f"validation.{ext}") for ext in ("html", "json", "md")]

        with _stage(timings, f"load {DEMO_NAME} back by name through the resolver (download, hash check, cache)"):
            predictor = load_predictor(DEMO_NAME)
            downloads = [p for p in mirror.sent if p.endswith(checkpoint.name)]

        with _stage(timings, "segment the demo image with one box prompt"):
            image = data.cell()
            labels = measure.label(image > filters.threshold_otsu(image))
            biggest = max(measure.regionprops(labels), key=lambda r: r.area)
            y0, x0, y1, x1 = biggest.bbox
            box = np.array([x0, y0, x1, y1])
            rgb = np.stack([image] * 3, axis=-1) if image.ndim == 2 else image
            predictor.set_image(rgb)
            masks, scores, _ = predictor.predict(box=box, multimask_output=False)
            overlay = out / "overlay.png"
            _overlay(image, masks[0], box, overlay)
    finally:
        mirror.stop()

    print("\nsummary")
    print(f"  package   {result.path}")
    print(f"  sha256    {result.sha256}  ({result.size / 1e6:.1f} MB, version {result.version})")
    print(f"  spec      {spec_path}")
    print(f"  validation: {report.status.upper()}")
    for check in report.checks:
        print(f"    {check.status:8s} {check.name:15s} {check.message}")
    print(f"  resolver  downloaded {len(downloads)}x from the mirror into {os.environ['SAMZOO_CACHE_DIR']}")
    print(f"  segmentation: one box {box.tolist()} -> mask of {int(masks[0].sum())} px, score {float(scores[0]):.3f}")
    print("  timings   " + ", ".join(f"{k.split(' ')[0]} {v:.1f} s" for k, v in timings.items()) + f"; total {sum(timings.values()):.1f} s")
    print(f"  report    {reports[0]}  (also {reports[1].name}, {reports[2].name})")
    print(f"  overlay   {overlay}")
    return 0 if report.passed and len(downloads) == 1 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
