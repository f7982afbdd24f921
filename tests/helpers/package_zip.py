"""Reading a built package: its rdf, its test tensors, and ``bioimageio test``'s verdict on it."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import yaml

BIOIMAGEIO = Path(sys.executable).with_name("bioimageio")


def read_rdf(zip_path: Path) -> dict:
    with zipfile.ZipFile(zip_path) as zf:
        return yaml.safe_load(zf.read("rdf.yaml"))


def read_npy(zip_path: Path, name: str) -> np.ndarray:
    with zipfile.ZipFile(zip_path) as zf:
        return np.load(io.BytesIO(zf.read(name)))


def bioimageio_test(zip_path: Path, tmp_path: Path, timeout: float = 1200) -> dict:
    """The summary of ``bioimageio test`` on the package (run in ``tmp_path``)."""
    summary = tmp_path / "summary.json"
    proc = subprocess.run([str(BIOIMAGEIO), "test", str(zip_path), "--summary", str(summary)],
                          capture_output=True, text=True, timeout=timeout, cwd=tmp_path)
    assert summary.is_file(), proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(summary.read_text())


def summary_errors(summary: dict) -> list[str]:
    return [f"{d['name']}: {e['msg'][:300]}" for d in summary["details"] for e in d.get("errors", [])]


def with_rdf(zip_path: Path, out: Path, **changes) -> Path:
    """A copy of a package whose rdf.yaml has ``changes`` (a value of None removes the field); other files byte-identical."""
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "rdf.yaml":
                rdf = yaml.safe_load(data)
                for key, value in changes.items():
                    rdf.pop(key, None) if value is None else rdf.__setitem__(key, value)
                data = yaml.safe_dump(rdf, sort_keys=False, allow_unicode=True).encode()
            dst.writestr(info, data)
    return out


def members(zip_path: Path) -> dict[str, bytes]:
    """Every file of a package zip (name -> bytes)."""
    with zipfile.ZipFile(zip_path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
