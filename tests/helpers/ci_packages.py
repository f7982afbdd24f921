"""A good and a broken unpacked package for the CI entry points' tests (the Action, the pre-commit hook).

Both are the small non-SAM package of :mod:`helpers.plain_package` with a cover added (the zoo's one hard
requirement it lacks), so the good one passes ``samzoo validate --quick`` and the broken one fails only because
its weight file is not TorchScript (``inference``). ``rdf_name`` renames the description (``bioimageio.yaml``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import yaml

from helpers.plain_package import write_plain_package


def write_ci_package(folder: str | Path, *, broken: bool = False, rdf_name: str = "rdf.yaml") -> Path:
    """Write the package folder ``folder`` and return its description file."""
    import imageio.v3 as iio

    folder = write_plain_package(folder, unloadable=broken)
    yy, xx = np.mgrid[0:64, 0:64]
    iio.imwrite(folder / "cover.png", ((xx * 4) ^ (yy * 4)).astype(np.uint8))
    rdf = yaml.safe_load((folder / "rdf.yaml").read_text(encoding="utf-8"))
    rdf["covers"] = [{"source": "cover.png", "sha256": hashlib.sha256((folder / "cover.png").read_bytes()).hexdigest()}]
    (folder / "rdf.yaml").unlink()
    out = folder / rdf_name
    out.write_text(yaml.safe_dump(rdf, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out
