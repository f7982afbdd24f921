"""What the validator's tests share besides fixtures: broken package variants, rdf and test-tensor edits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from helpers.micro_sam_package import write_micro_sam_package

#: the rdf (as a dict) of micro-sam's six-input interactive layout, and of an automatic (label output) package
MICRO_SAM_LIKE = {
    "inputs": [{"id": i} for i in ("image", "box_prompts", "point_prompts", "point_labels", "mask_prompts", "embeddings")],
    "outputs": [{"id": "masks", "data": {"type": "uint8"}}, {"id": "scores"}, {"id": "embeddings"}],
    "weights": {"pytorch_state_dict": {"source": "w.pt"}},
}
AIS = {"inputs": [{"id": "image"}], "outputs": [{"id": "labels", "data": {"type": "int32"}}],
       "weights": {"pytorch_state_dict": {"source": "w.pt"}}}

ZOO_FIELDS = {"id": "testing-mouse", "id_emoji": "🐭", "version": "1.0"}


def variant(pkg_dir, ckpt, name: str) -> Path:
    """The micro-sam-style package variant ``name`` (tests/helpers/micro_sam_package.py) as a zip in ``pkg_dir``."""
    return write_micro_sam_package(pkg_dir / f"{name}.zip", ckpt, "vit_t", name, extra=ZOO_FIELDS)


def rdf_of(folder: Path) -> dict:
    """The rdf of a package folder, as plain YAML."""
    return yaml.safe_load((folder / "rdf.yaml").read_text())


def replace_tensor(folder: Path, tensor_id: str, kind: str, array: np.ndarray) -> None:
    """Overwrite a test tensor of a package folder and record its new sha256 (so only the content is wrong)."""
    import hashlib

    rdf_path = folder / "rdf.yaml"
    rdf = yaml.safe_load(rdf_path.read_text())
    entry = next(t for t in rdf[kind] if t["id"] == tensor_id)["test_tensor"]
    np.save(folder / entry["source"], array)
    entry["sha256"] = hashlib.sha256((folder / entry["source"]).read_bytes()).hexdigest()
    rdf_path.write_text(yaml.safe_dump(rdf, sort_keys=False))
